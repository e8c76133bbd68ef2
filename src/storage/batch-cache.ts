import type { Batch } from '../domain/batch.js';

/**
 * The batches the store read last, kept as frozen objects so a status poll costs a map lookup
 * instead of three SQLite statements (measured: ~30 µs of the status route's ~230 µs).
 *
 * Correct because the store is the only writer of its database (one process owns the data
 * directory) and drops a batch from here inside every write that touches it, before the write
 * returns. Frozen because every reader shares the same object.
 *
 * Bounded by weight, one per batch plus one per document, so neither many batches nor one batch of
 * many files can grow it without limit; the oldest entries go first.
 */
export class BatchCache {
  private readonly entries = new Map<number, { batch: Batch; weight: number }>();
  private weight = 0;

  constructor(private readonly maxWeight = 50_000) {}

  get(id: number): Batch | undefined {
    return this.entries.get(id)?.batch;
  }

  /** Keeps `batch` (frozen here, deeply) and returns it. */
  put(batch: Batch): Batch {
    this.delete(batch.id);
    const weight = 1 + batch.documents.length;
    if (weight > this.maxWeight) return deepFreeze(batch);
    while (this.weight + weight > this.maxWeight) {
      const oldest = this.entries.keys().next().value as number;
      this.delete(oldest);
    }
    this.entries.set(batch.id, { batch: deepFreeze(batch), weight });
    this.weight += weight;
    return batch;
  }

  delete(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.weight -= entry.weight;
  }

  clear(): void {
    this.entries.clear();
    this.weight = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}

function deepFreeze(batch: Batch): Batch {
  for (const d of batch.documents) Object.freeze(d);
  Object.freeze(batch.documents);
  if (batch.package) Object.freeze(batch.package);
  if (batch.result) Object.freeze(batch.result);
  return Object.freeze(batch);
}
