import { EventEmitter, once } from 'node:events';
import type { Logger } from 'pino';
import { readEntries } from '../archive/read-entries.js';
import type { ZipLimits } from '../archive/limits.js';
import { writeZip } from '../archive/write-zip.js';
import type { BatchService, WorkItem } from '../domain/batch-service.js';
import type { Clock } from '../domain/clock.js';
import { siblingNamesFor } from '../signing/engine.js';
import type { FileOutcome, InputFile, Signer } from '../signing/signer.js';
import type { DocumentOutcome } from '../storage/batch-store.js';
import type { WorkFaults } from '../faults/domain-faults.js';

export interface BatchWorkerDeps {
  service: BatchService;
  signer: Signer;
  clock: Clock;
  limits: ZipLimits;
  log: Logger;
  /** Files of one batch in flight at once (the signer spreads them over its threads). */
  concurrency: number;
  /** Batches worked on at once. */
  batches: number;
  /** Injected domain faults (failed seals, bad certificates, damaged packages). */
  faults?: WorkFaults;
}

/**
 * Does the per-file work of accepted batches, a few batches at a time, off the request path. Reads the
 * uploaded package entry by entry, lets the signer turn each file into its outputs, streams them
 * into the result ZIP (durable before `completeWork` records it), and hands the outcome to the
 * service — which alone decides what the batch's status becomes.
 */
export class BatchWorker {
  private readonly queue: number[] = [];
  private readonly queued = new Set<number>();
  /** Batches being worked on now, each with its promise. */
  private readonly active = new Map<number, Promise<void>>();
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly finished = new EventEmitter();

  constructor(private readonly deps: BatchWorkerDeps) {
    this.finished.setMaxListeners(0);
  }

  /** Queues every batch that was accepted but has no result yet (after a restart). */
  resume(): void {
    for (const id of this.deps.service.pendingWork()) this.enqueue(id);
  }

  enqueue(batchId: number): void {
    if (this.stopping || this.queued.has(batchId) || this.active.has(batchId)) return;
    this.queued.add(batchId);
    this.queue.push(batchId);
    this.kick();
  }

  /**
   * Starts queued batches while fewer than `deps.batches` run. Several batches in flight keep the
   * signer's threads busy when batches are small (one file each is common), so one slow batch does
   * not hold every other client back.
   */
  private kick(): void {
    while (!this.stopping && this.active.size < this.deps.batches && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.queued.delete(id);
      const job = this.run(id).finally(() => {
        this.active.delete(id);
        this.finished.emit('batch', id);
        this.kick();
        if (this.active.size === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
      this.active.set(id, job);
    }
  }

  /** Resolves when the queue is empty and nothing is running. */
  idle(): Promise<void> {
    if (this.active.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Takes no new batches and interrupts the batches in hand after their current file; resolves
   * once nothing is running, or after `waitMs` even if a file is still being worked on (its
   * batch is abandoned: whatever it does next fails quietly once the signer and the store are
   * closed). Nothing recorded is lost: an interrupted batch is redone on the next start.
   */
  async stop(waitMs = Infinity): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
    this.queued.clear();
    const running = Promise.all(this.active.values());
    if (Number.isFinite(waitMs)) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
      await Promise.race([running, late]);
      clearTimeout(timer);
      if (this.active.size > 0) this.deps.log.info({ batches: [...this.active.keys()], waitMs }, 'batch work abandoned by shutdown; it resumes on the next start');
    } else {
      await running;
    }
    this.finished.emit('batch', null); // wake whenDone() callers: nothing more will run
    this.idleWaiters.splice(0).forEach((w) => w());
  }

  /** Resolves once the batch is neither queued nor being worked on. */
  async whenDone(batchId: number): Promise<void> {
    while (this.queued.has(batchId) || this.active.has(batchId)) {
      await once(this.finished, 'batch');
    }
  }

  get busy(): boolean {
    return this.active.size > 0;
  }

  private async run(id: number): Promise<void> {
    const item = this.deps.service.workFor(id);
    if (!item) return;
    try {
      await this.process(item);
    } catch (err) {
      // After stop(), the signer, the store or a temporary data directory may be gone under a
      // file in hand: any failure then is the shutdown's, not the batch's.
      if (err instanceof WorkerStopped || this.stopping) {
        this.deps.log.info({ batchId: id }, 'batch work interrupted by shutdown; it resumes on the next start');
        return;
      }
      // A batch whose package cannot be processed at all (it was inspected on upload, so this is
      // a disk or programming error) stays IN_PROGRESS and is retried on the next start.
      this.deps.log.error({ err, batchId: id }, 'batch work failed');
    }
  }

  private async process(item: WorkItem): Promise<void> {
    const { service, signer, clock, limits, log, concurrency } = this.deps;
    const { batch, process } = item;
    log.info({ batchId: batch.id, processId: process.id, files: batch.documents.length }, 'batch work started');
    const outcomes: DocumentOutcome[] = [];
    const faults = this.deps.faults?.forBatch(batch) ?? null;
    const siblings = process.operation === 'validate' ? await loadSiblings(item.packagePath, batch.documents.map((d) => d.fileName), limits) : undefined;
    const sign = async (file: InputFile): Promise<FileOutcome> => {
      const injected = faults?.file(file.name);
      if (injected?.fail) {
        return { fileName: file.name, signed: false, success: false, detail: `failed by an injected fault: ${injected.fail}`, outputs: [] };
      }
      return signer.processFile(file, {
        process,
        now: clock.now(batch.tenant),
        sealIdentity: injected?.sealIdentity,
        siblings: siblings && ((name) => siblings.get(name)),
      });
    };
    const stopped = () => this.stopping;
    async function* outputs(): AsyncGenerator<InputFile> {
      for await (const outcome of mapInOrder(readEntries(item.packagePath, limits), concurrency, sign)) {
        outcomes.push({ fileName: outcome.fileName, signed: outcome.signed, success: outcome.success, detail: outcome.detail });
        yield* outcome.outputs;
        // Shutting down: abandon the half-written result; the batch has no result recorded, so the
        // next start picks it up again from the stored package (a safe point at every file).
        if (stopped()) throw new WorkerStopped(batch.id);
      }
    }
    const target = service.newResultPath(batch.id);
    let written = await writeZip(target.absolute, outputs());
    const damaged = await faults?.damage(target.absolute);
    if (damaged) {
      log.info({ batchId: batch.id, fault: damaged.label }, 'result package damaged by an injected fault');
      written = damaged;
    }
    await service.completeWork(batch.id, { path: target.relative, size: written.size, sha256: written.sha256 }, outcomes);
  }
}

/**
 * Files a validate process needs beside the one it checks (a detached signature and its data
 * file, by signing/engine's siblingNamesFor). Only files that have a partner are held in memory.
 */
async function loadSiblings(packagePath: string, names: string[], limits: ZipLimits): Promise<Map<string, Buffer>> {
  const present = new Set(names);
  const wanted = new Set(names.flatMap((n) => siblingNamesFor(n).filter((s) => present.has(s))));
  const out = new Map<string, Buffer>();
  if (wanted.size === 0) return out;
  for await (const entry of readEntries(packagePath, limits)) {
    if (wanted.has(entry.name)) out.set(entry.name, entry.bytes);
  }
  return out;
}

/**
 * Maps an async source through `fn` with up to `width` calls in flight, yielding results in source
 * order. Keeps at most `width` inputs in memory, so a large package is never held whole.
 */
export async function* mapInOrder<T, R>(
  source: AsyncIterable<T>,
  width: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const window: Promise<R>[] = [];
  for await (const item of source) {
    const pending = fn(item);
    pending.catch(() => {}); // observed when its turn comes; never an unhandled rejection meanwhile
    window.push(pending);
    if (window.length >= width) yield await window.shift()!;
  }
  while (window.length > 0) yield await window.shift()!;
}

class WorkerStopped extends Error {
  constructor(batchId: number) {
    super(`work on batch ${batchId} stopped for shutdown`);
  }
}
