import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Batch, BatchDocument, BatchPackage, BatchResult, Transition } from '../../src/domain/batch.js';
import type { BatchStore, CasResult, DocumentOutcome } from '../../src/domain/batch-store.js';
import type { BlobKind, BlobStore } from '../../src/domain/blob-store.js';
import { DomainError } from '../../src/domain/errors.js';
import type { IntakeOptions, PackageIntake, ReceivedPackage } from '../../src/domain/package-intake.js';
import type { Status } from '../../src/domain/status.js';
import type { TenantClockState } from '../../src/domain/tenant-clocks.js';
import type { WorkQueue } from '../../src/domain/work-queue.js';

/**
 * The domain's ports kept in memory, for driving the batch domain without SQLite or files. The
 * store keeps the contract SqliteBatchStore keeps (test/unit/storage/batch-store-contract.test.ts
 * runs the same checks on both), so a domain test over it means what it says.
 */

/** A batch as this store keeps it: its package by id, each document with its attempts, its history. */
interface Row extends Omit<Batch, 'package' | 'documents'> {
  packageId: number | null;
  documents: (BatchDocument & { attempts: number })[];
  transitions: Transition[];
}

export class MemoryBatchStore implements BatchStore {
  private readonly rows = new Map<number, Row>();
  private readonly uploads = new Map<number, BatchPackage>();
  private readonly clocks = new Map<string, TenantClockState>();
  private nextBatchId = 1;
  private nextUploadId = 1;
  private nextDocumentId = 1;
  private closed = false;

  createBatch(input: { tenant: string; processId: number; at: number }): Batch {
    const id = this.nextBatchId++;
    this.rows.set(id, {
      id,
      tenant: input.tenant,
      processId: input.processId,
      status: 'NEW',
      statusSince: input.at,
      createdAt: input.at,
      packageId: null,
      result: null,
      documents: [],
      transitions: [{ from: null, to: 'NEW', event: 'create', at: input.at }],
    });
    return this.getBatch(id)!;
  }

  getBatch(id: number): Batch | undefined {
    this.open();
    const row = this.rows.get(id);
    return row && this.toBatch(row);
  }

  idsInStatus(statuses: readonly Status[]): number[] {
    return [...this.rows.values()].filter((r) => statuses.includes(r.status)).map((r) => r.id);
  }

  listBatches(filter: { tenant?: string; limit?: number }): Batch[] {
    return [...this.rows.values()]
      .filter((r) => filter.tenant === undefined || r.tenant === filter.tenant)
      .reverse()
      .slice(0, filter.limit ?? 1000)
      .map((r) => this.toBatch(r));
  }

  countBatches(): number {
    return this.rows.size;
  }

  setStatus(id: number, from: Status, to: Status, event: string, at: number): CasResult {
    const row = this.rows.get(id);
    if (!row || row.status !== from) return { ok: false, current: row?.status ?? null };
    row.status = to;
    row.statusSince = at;
    row.transitions.push({ from, to, event, at });
    return { ok: true };
  }

  recordUpload(id: number, from: Status, to: Status, pkg: Omit<BatchPackage, 'id'>, files: { name: string; size: number }[], at: number) {
    const row = this.rows.get(id);
    if (!row || row.status !== from) return { ok: false as const, current: row?.status ?? null };
    const packageId = this.nextUploadId++;
    this.uploads.set(packageId, { ...pkg, id: packageId });
    const previous = row.packageId === null ? null : this.uploads.get(row.packageId)!;
    row.packageId = packageId;
    if (row.status !== to) row.statusSince = at;
    row.status = to;
    row.transitions.push({ from, to, event: 'upload', at });
    row.documents = files.map((f) => ({ id: this.nextDocumentId++, fileName: f.name, size: f.size, signed: false, success: false, detail: null, attempts: 0 }));
    return { ok: true as const, previous, packageId };
  }

  recordResult(id: number, result: BatchResult, outcomes: DocumentOutcome[]): boolean {
    const row = this.rows.get(id);
    if (!row || row.status === 'DELETED') return false;
    row.result = { ...result };
    for (const o of outcomes) {
      for (const d of row.documents.filter((d) => d.fileName === o.fileName))
        Object.assign(d, { signed: o.signed, success: o.success, detail: o.detail, attempts: 0 });
    }
    return true;
  }

  fileAttempts(id: number): Map<string, number> {
    return new Map((this.rows.get(id)?.documents ?? []).filter((d) => d.attempts > 0).map((d) => [d.fileName, d.attempts]));
  }

  recordAttempts(id: number, started: readonly string[], ended: readonly string[]): void {
    for (const d of this.rows.get(id)?.documents ?? []) {
      if (ended.includes(d.fileName)) d.attempts = 0;
      if (started.includes(d.fileName)) d.attempts += 1;
    }
  }

  referencedPaths(): Set<string> {
    const paths = new Set<string>();
    for (const r of this.rows.values()) {
      if (r.packageId !== null) paths.add(this.uploads.get(r.packageId)!.path);
      if (r.result) paths.add(r.result.path);
    }
    return paths;
  }

  transitions(id: number): Transition[] {
    return (this.rows.get(id)?.transitions ?? []).map((t) => ({ ...t }));
  }

  purgeBatch(id: number): boolean {
    return this.rows.delete(id);
  }

  purgeTenant(tenant: string | undefined): Batch[] {
    const victims = this.listBatches({ tenant, limit: Number.MAX_SAFE_INTEGER });
    for (const b of victims) this.rows.delete(b.id);
    return victims;
  }

  tenantUsage(tenant: string): { batches: number; bytes: number } {
    let batches = 0;
    let bytes = 0;
    for (const r of this.rows.values()) {
      if (r.tenant !== tenant || r.status === 'DELETED') continue;
      batches++;
      bytes += (r.packageId === null ? 0 : this.uploads.get(r.packageId)!.size) + (r.result?.size ?? 0);
    }
    return { batches, bytes };
  }

  loadClocks(): TenantClockState[] {
    return [...this.clocks.values()].map((c) => ({ ...c }));
  }

  saveClock(state: TenantClockState): void {
    this.clocks.set(state.tenant, { ...state });
  }

  deleteClocks(tenant: string | undefined): void {
    if (tenant === undefined) this.clocks.clear();
    else this.clocks.delete(tenant);
  }

  checkWritable(): void {
    this.open();
  }

  close(): void {
    this.closed = true;
  }

  private open(): void {
    if (this.closed) throw new Error('the store is closed');
  }

  /** A frozen copy, as SqliteBatchStore hands out: no caller can change what the next one reads. */
  private toBatch(r: Row): Batch {
    const pkg = r.packageId === null ? null : Object.freeze({ ...this.uploads.get(r.packageId)! });
    return Object.freeze({
      id: r.id,
      tenant: r.tenant,
      processId: r.processId,
      status: r.status,
      statusSince: r.statusSince,
      createdAt: r.createdAt,
      package: pkg,
      result: r.result && Object.freeze({ ...r.result }),
      documents: Object.freeze(r.documents.map(({ attempts: _, ...d }) => Object.freeze(d))) as BatchDocument[],
    });
  }
}

/** Blobs as buffers. It has no files: asking for one fails, so a caller that needs paths shows. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();
  private next = 1;

  newRef(kind: BlobKind, batchId: number): string {
    return `${kind}/${batchId}-${this.next++}`;
  }

  absolute(ref: string): string {
    throw new Error(`MemoryBlobStore keeps no files (asked for ${ref})`);
  }

  async openRead(ref: string, size: number): Promise<Readable> {
    const bytes = this.blobs.get(ref);
    if (!bytes) throw new Error(`no blob ${ref}`);
    return Readable.from([bytes.subarray(0, size)]);
  }

  async remove(ref: string | null | undefined): Promise<void> {
    if (ref) this.blobs.delete(ref);
  }

  put(ref: string, bytes: Buffer): void {
    this.blobs.set(ref, bytes);
  }
}

/**
 * An intake whose packages are JSON, `{"files": [{"name": "a.pdf", "size": 3}]}`: anything else is
 * refused as package_invalid. Sizes and refusals follow the PackageIntake contract: over
 * `maxBytes` is package_too_large (or the caller's `tooLarge`), `admit` is asked before the
 * package is inspected, and a refusal keeps no blob.
 */
export class MemoryIntake implements PackageIntake {
  constructor(
    private readonly blobs: MemoryBlobStore,
    readonly maxBytes = 1024 * 1024,
  ) {}

  async receive(batchId: number, body: NodeJS.ReadableStream, options: IntakeOptions): Promise<ReceivedPackage> {
    const ref = this.blobs.newRef('package', batchId);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      const bytes = Buffer.from(chunk as Buffer);
      size += bytes.length;
      if (size > Math.min(options.maxBytes, this.maxBytes)) {
        throw options.tooLarge?.() ?? new DomainError('package_too_large', `larger than ${options.maxBytes} bytes`, { reason: 'upload-too-large' });
      }
      chunks.push(bytes);
    }
    const bytes = Buffer.concat(chunks);
    this.blobs.put(ref, bytes);
    try {
      options.admit?.(size);
      let files: unknown;
      try {
        files = (JSON.parse(bytes.toString('utf8')) as { files?: unknown }).files;
      } catch {
        files = undefined;
      }
      if (!Array.isArray(files) || files.length === 0) throw new DomainError('package_invalid', 'not a package', { reason: 'not-a-zip' });
      return { ref, size, sha256: createHash('sha256').update(bytes).digest('hex'), files: files as { name: string; size: number }[] };
    } catch (e) {
      await this.blobs.remove(ref);
      throw e;
    }
  }
}

/** A package body for MemoryIntake. */
export const packageBody = (...names: string[]): Readable =>
  Readable.from([Buffer.from(JSON.stringify({ files: names.map((name) => ({ name, size: name.length })) }))]);

/**
 * A work queue that does nothing by itself: a test sees what was queued and cancelled, and
 * finishes a batch's work when it chooses (`finish`), as the worker would.
 */
export class ManualWorkQueue implements WorkQueue {
  readonly queued: number[] = [];
  readonly cancelled: number[] = [];
  private readonly waiters = new Map<number, (() => void)[]>();

  enqueue(batchId: number): void {
    if (!this.queued.includes(batchId)) this.queued.push(batchId);
  }

  async cancel(batchId: number): Promise<void> {
    this.cancelled.push(batchId);
    this.settle(batchId);
  }

  whenDone(batchId: number): Promise<void> {
    if (!this.queued.includes(batchId)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(batchId, [...(this.waiters.get(batchId) ?? []), resolve]));
  }

  /** The batch is no longer queued (its work was recorded, or given up): whoever waits goes on. */
  settle(batchId: number): void {
    const i = this.queued.indexOf(batchId);
    if (i >= 0) this.queued.splice(i, 1);
    for (const w of this.waiters.get(batchId) ?? []) w();
    this.waiters.delete(batchId);
  }
}
