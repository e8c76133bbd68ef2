import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { inspectZip } from '../archive/inspect-zip.js';
import type { ZipLimits } from '../archive/limits.js';
import { receiveUpload } from '../archive/receive-upload.js';
import type { BatchStore, DocumentOutcome } from '../storage/batch-store.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { Batch, BatchPackage, Transition } from './batch.js';
import type { Clock } from './clock.js';
import { DomainError, isDomainError } from './errors.js';
import { LIFECYCLE_ORDER, type LifecycleEvent, PROCESSING, remedy, transition } from './lifecycle.js';
import type { ProcessDef } from './process.js';
import type { ProcessCatalog } from './processes.js';
import { nextAdvanceAt } from './progression.js';
import type { Status } from './status.js';
import type { TimingProfile } from './timing.js';

const REFUSED: Record<LifecycleEvent | 'download', string> = {
  upload: 'cannot take an upload',
  accept: 'cannot be accepted',
  advance: 'cannot advance',
  delete: 'cannot be deleted',
  download: 'cannot be downloaded',
};

/**
 * Ways to bend progression (fault injection). Both are asked on every catch-up and must be cheap;
 * both return epoch ms on the tenant's clock, or null for "no effect".
 */
export interface ProgressHooks {
  /** The batch may not leave its current status before this time (a stall). */
  holdUntil(batch: Batch, dueAt: number): number | null;
  /** A CLOSED batch drops out of the cache on its own at this time (the vendor's expiry). */
  expireAt(batch: Batch): number | null;
  /** Batches outside processing that still need catching up (e.g. waiting to expire). */
  watched(): number[];
  /** The batch reached an end (DELETED, expired or forgotten): forget anything held for it. */
  settled(batchId: number): void;
}

export interface BatchServiceDeps {
  store: BatchStore;
  blobs: BlobStore;
  processes: ProcessCatalog;
  clock: Clock;
  timing: TimingProfile;
  limits: ZipLimits;
  log: Logger;
  /** How a status is named to clients (status table A shows UPLOADED as NEW). */
  showStatus?: (status: Status) => Status;
  /** Told when a batch has been accepted and has work to do (the worker's queue). */
  onAccepted?: (batchId: number) => void;
  /** Told when a batch has ended (deleted, expired, forgotten): work on it must stop now. */
  onReleased?: (batchId: number) => Promise<void>;
  progressHooks?: ProgressHooks;
  /** How slow an upload may be, and how many one tenant may have in flight (absent: no bounds). */
  uploads?: UploadPolicy;
  /** What one tenant may hold (absent: no bounds). */
  quotas?: TenantQuotas;
}

export interface UploadPolicy {
  deadlineMs: number;
  minBytesPerSecond: number;
  maxPerTenant: number;
}

export interface TenantQuotas {
  maxBatches: number;
  maxStoredBytes: number;
}

/** The settings the per-tenant refusals name. */
export const TENANT_LIMIT_SETTINGS = {
  maxUploads: 'SEAL_SIM_MAX_UPLOADS_PER_KEY',
  maxBatches: 'SEAL_SIM_MAX_BATCHES_PER_TENANT',
  maxStoredBytes: 'SEAL_SIM_MAX_STORED_BYTES_PER_TENANT',
} as const;

/** The work the worker has to do for one batch. */
export interface WorkItem {
  batch: Batch;
  process: ProcessDef;
  /** Absolute path of the uploaded package. */
  packagePath: string;
}

export interface OpenedResult {
  stream: Readable;
  size: number;
  fileName: string;
}

/**
 * The batch service decides. It is the only caller of the lifecycle table and of the stores:
 * routes hand it validated values, the worker hands it finished results, and every status change
 * goes through `move()` (table lookup, then compare-and-set, then one log line).
 */
export class BatchService {
  onAccepted: (batchId: number) => void;
  /** Stops the worker's work on a batch that has ended; set by the app. */
  onReleased: (batchId: number) => Promise<void>;
  /** Resolves when the worker has finished (or given up on) a batch; set by the app. */
  awaitWork: (batchId: number) => Promise<void> = async () => {};
  progressHooks: ProgressHooks | undefined;
  /** Uploads being received, per tenant (bounded by UploadPolicy.maxPerTenant). */
  private readonly uploadsInFlight = new Map<string, number>();

  constructor(private readonly deps: BatchServiceDeps) {
    this.onAccepted = deps.onAccepted ?? (() => {});
    this.onReleased = deps.onReleased ?? (async () => {});
    this.progressHooks = deps.progressHooks;
  }

  get timing(): TimingProfile {
    return this.deps.timing;
  }

  now(tenant: string): number {
    return this.deps.clock.now(tenant).getTime();
  }

  createBatch(tenant: string, processId: number): Batch {
    this.deps.processes.require(processId);
    const max = this.deps.quotas?.maxBatches;
    if (max !== undefined && this.deps.store.tenantUsage(tenant).batches >= max) {
      throw new DomainError(
        'too_many_batches',
        `This API key already holds ${max} batches, the most allowed (setting ${TENANT_LIMIT_SETTINGS.maxBatches}). Delete batches you no longer need (DELETE /api/BatchDeleteCache/{batchId}, or POST /_simulator/reset with your API-KEY) and create it again.`,
        { limit: max, setting: TENANT_LIMIT_SETTINGS.maxBatches },
      );
    }
    const batch = this.deps.store.createBatch({ tenant, processId, at: this.now(tenant) });
    this.deps.log.info({ batchId: batch.id, tenant, processId, to: 'NEW' }, 'batch created');
    return batch;
  }

  /** Looks a batch up for a tenant and brings its time-driven status up to date. */
  status(tenant: string, batchId: number): Batch {
    return this.catchUp(this.require(tenant, batchId));
  }

  /**
   * Streams the body to disk, inspects it as hostile input, then records it — only if the batch is
   * still waiting for a package. A rejected upload leaves the batch exactly as it was.
   */
  async upload(
    tenant: string,
    batchId: number,
    body: Readable,
    packageName: string | undefined,
  ): Promise<{ batch: Batch; package: BatchPackage }> {
    const before = this.require(tenant, batchId);
    this.allowed(before, 'upload'); // refuse before reading a byte
    const { blobs, limits, uploads } = this.deps;
    const inFlight = this.uploadsInFlight.get(tenant) ?? 0;
    if (uploads && inFlight >= uploads.maxPerTenant) {
      throw new DomainError(
        'too_many_uploads',
        `This API key already has ${inFlight} uploads in progress, the most allowed at once (setting ${TENANT_LIMIT_SETTINGS.maxUploads}). Wait for one to finish, then upload again.`,
        { limit: uploads.maxPerTenant, setting: TENANT_LIMIT_SETTINGS.maxUploads },
      );
    }
    // The package this upload replaces frees its bytes; the room left bounds what is read.
    const replaced = before.package?.size ?? 0;
    const room = this.storageRoom(tenant, replaced, 0);
    const maxBytes = Math.min(limits.maxUploadBytes, room);
    this.uploadsInFlight.set(tenant, inFlight + 1);
    const path = blobs.newPackagePath(batchId);
    try {
      let received: { size: number; sha256: string };
      try {
        received = await receiveUpload(body, blobs.absolute(path), maxBytes, {
          deadlineMs: uploads?.deadlineMs,
          minBytesPerSecond: uploads?.minBytesPerSecond,
        });
      } catch (e) {
        // Past the tenant's room rather than the upload limit: say which limit it was.
        if (isDomainError(e) && e.code === 'package_too_large' && maxBytes < limits.maxUploadBytes) throw this.storageFull(tenant, room);
        throw e;
      }
      // Other uploads of this tenant may have landed meanwhile.
      if (this.storageRoom(tenant, replaced, received.size) < 0) throw this.storageFull(tenant, 0);
      const entries = await inspectZip(blobs.absolute(path), limits);
      const current = this.require(tenant, batchId);
      const to = this.allowed(current, 'upload');
      const at = this.now(tenant);
      const pkg = { name: packageName ?? `batch-${batchId}.zip`, path, size: received.size, sha256: received.sha256, uploadedAt: at };
      const files = entries.map((e) => ({ name: e.name, size: e.size }));
      const done = this.deps.store.recordUpload(batchId, current.status, to, pkg, files, at);
      if (!done.ok) throw this.conflict(current.id, done.current ?? current.status, 'upload');
      this.logMove(current, to, 'upload');
      await blobs.remove(done.previous?.path);
      return { batch: this.require(tenant, batchId), package: { ...pkg, id: done.packageId } };
    } catch (e) {
      await blobs.remove(path);
      throw e;
    } finally {
      const left = (this.uploadsInFlight.get(tenant) ?? 1) - 1;
      if (left > 0) this.uploadsInFlight.set(tenant, left);
      else this.uploadsInFlight.delete(tenant);
    }
  }

  /** Bytes the tenant may still store if `replaced` bytes go and `adding` come (negative: over). */
  private storageRoom(tenant: string, replaced: number, adding: number): number {
    const max = this.deps.quotas?.maxStoredBytes;
    if (max === undefined) return Number.MAX_SAFE_INTEGER;
    const room = max - (this.deps.store.tenantUsage(tenant).bytes - replaced) - adding;
    if (adding === 0 && room <= 0) throw this.storageFull(tenant, room);
    return room;
  }

  private storageFull(tenant: string, room: number): DomainError {
    const max = this.deps.quotas!.maxStoredBytes;
    const used = this.deps.store.tenantUsage(tenant).bytes;
    return new DomainError(
      'storage_full',
      `The packages and results of this API key's batches hold ${used} bytes of the ${max} allowed (setting ${TENANT_LIMIT_SETTINGS.maxStoredBytes})${room > 0 ? `; only ${room} more bytes fit` : ''}. Delete batches you no longer need (DELETE /api/BatchDeleteCache/{batchId}, or POST /_simulator/reset with your API-KEY), then upload again.`,
      { limit: max, setting: TENANT_LIMIT_SETTINGS.maxStoredBytes },
    );
  }

  accept(tenant: string, batchId: number): Batch {
    const batch = this.move(this.require(tenant, batchId), 'accept');
    this.onAccepted(batch.id);
    return batch;
  }

  /** BatchDeleteCache: DELETED from any state; the package and result files are removed. */
  async delete(tenant: string, batchId: number): Promise<Batch> {
    const batch = this.move(this.catchUp(this.require(tenant, batchId)), 'delete');
    await this.release(batch);
    return batch;
  }

  /** Opens the result package of a CLOSED batch (opened before returning, so a delete cannot race it). */
  async openResult(tenant: string, batchId: number): Promise<OpenedResult> {
    const batch = this.status(tenant, batchId);
    if (batch.status !== 'CLOSED' || !batch.result) throw this.conflict(batch.id, batch.status, 'download');
    const handle = await open(this.deps.blobs.absolute(batch.result.path), 'r');
    // Bounded by the recorded size, the stream ends with its last chunk instead of after one more
    // read that finds the end of the file: the response is complete as soon as its bytes are sent.
    const stream = handle.createReadStream(batch.result.size > 0 ? { end: batch.result.size - 1 } : {});
    return { stream, size: batch.result.size, fileName: `batch-${batch.id}-signed.zip` };
  }

  /**
   * Forgets batches outright, with their files: every batch of one tenant, or all of them. Not a
   * vendor operation (that is delete → DELETED); the simulator's reset between tests.
   */
  async purge(tenant?: string): Promise<number> {
    const gone = this.deps.store.purgeTenant(tenant);
    for (const b of gone) await this.release(b);
    this.deps.log.info({ tenant: tenant ?? '(all)', batches: gone.length }, 'batches purged');
    return gone.length;
  }

  /** Forgets one batch outright, with its files (control API): any tenant's unless one is given (404 otherwise). */
  async forget(batchId: number, tenant?: string): Promise<void> {
    const batch = this.find(batchId, tenant);
    if (!this.deps.store.purgeBatch(batchId)) return;
    await this.release(batch);
    this.deps.log.info({ batchId }, 'batch forgotten');
  }

  /**
   * A batch has ended (DELETED, expired or forgotten): faults stop tracking it and its package and
   * result files go. The one place every way out passes through.
   */
  private async release(batch: Batch): Promise<void> {
    this.progressHooks?.settled(batch.id);
    // Work in progress stops first (its sealing processes are killed), so no file of the batch is
    // being read or written when the files go.
    await this.onReleased(batch.id);
    await this.deps.blobs.remove(batch.package?.path);
    await this.deps.blobs.remove(batch.result?.path);
  }

  // ---- progression -------------------------------------------------------------------------

  /** Applies every automatic step that is due by the tenant's clock, stamping each at its due time. */
  catchUp(batch: Batch): Batch {
    let current = batch;
    for (;;) {
      const now = this.now(current.tenant);
      if (current.status === 'CLOSED') {
        const expiry = this.progressHooks?.expireAt(current) ?? null;
        if (expiry !== null && expiry <= now) return this.expire(current, expiry);
        return current;
      }
      let due = nextAdvanceAt(current, this.deps.timing);
      if (due === null || due > now) return current;
      const hold = this.progressHooks?.holdUntil(current, due) ?? null;
      if (hold !== null) {
        if (hold > now) return current;
        due = Math.max(due, hold);
      }
      current = this.move(current, 'advance', due);
    }
  }

  /** The vendor's cache expiry: a CLOSED batch becomes DELETED on its own and its files go. */
  private expire(batch: Batch, at: number): Batch {
    const gone = this.move(batch, 'delete', at, 'expire');
    // Called from a synchronous status read: the files go in the background.
    this.release(gone).catch((err) => this.deps.log.warn({ err, batchId: batch.id }, 'could not remove file'));
    return gone;
  }

  /**
   * Moves a batch on now, ignoring timing profile and holds: one step, or until it reaches `to`.
   * An UPLOADED batch is accepted on the way; IN_PROGRESS waits for the worker's result, so even a
   * forced CLOSED batch has a real package. (Control API, and the only way on in manual mode.)
   */
  async advance(batchId: number, opts: { tenant?: string; to?: Status } = {}): Promise<Batch> {
    let batch = this.catchUp(this.find(batchId, opts.tenant));
    const target = opts.to ?? transition(batch.status, batch.status === 'UPLOADED' ? 'accept' : 'advance');
    const order = LIFECYCLE_ORDER;
    if (!target || order.indexOf(target) < order.indexOf(batch.status) || target === 'UPLOADED' || target === 'DELETED') {
      throw new DomainError(
        'wrong_state',
        `Batch ${batch.id} is ${batch.status} and cannot advance${opts.to ? ` to ${opts.to}` : ''}: advance moves a batch forward through ACCEPTED, READY, IN_PROGRESS, FINISHING to CLOSED (use BatchDeleteCache to delete).`,
        { batchId: batch.id, batchStatus: batch.status },
      );
    }
    while (batch.status !== target) {
      if (batch.status === 'UPLOADED') {
        batch = this.accept(batch.tenant, batch.id);
        continue;
      }
      if (batch.status === 'IN_PROGRESS' && !batch.result) {
        await this.awaitWork(batch.id);
        batch = this.find(batch.id, batch.tenant);
        if (!batch.result) {
          throw new DomainError('unavailable', `Batch ${batch.id} has no result yet: the worker could not finish it (see the log).`, { batchId: batch.id });
        }
        continue;
      }
      batch = this.move(batch, 'advance');
    }
    return batch;
  }

  /** Catches up every batch in processing (the background ticker calls this). */
  tick(): void {
    const ids = new Set([...this.deps.store.idsInStatus(PROCESSING), ...(this.progressHooks?.watched() ?? [])]);
    for (const id of ids) {
      const batch = this.deps.store.getBatch(id);
      if (batch) this.catchUp(batch);
    }
  }

  /** Catches up one tenant's batches (after its clock moved). */
  tickTenant(tenant: string): void {
    for (const b of this.deps.store.listBatches({ tenant, limit: Number.MAX_SAFE_INTEGER })) this.catchUp(b);
  }

  // ---- worker side ---------------------------------------------------------------------------

  /** Batches accepted but without a durable result: the worker's queue after a restart. */
  pendingWork(): number[] {
    return this.deps.store
      .idsInStatus(PROCESSING)
      .filter((id) => this.deps.store.getBatch(id)?.result === null);
  }

  /** The tenant a batch belongs to (the worker's fair queue), or undefined when it is gone. */
  tenantOf(batchId: number): string | undefined {
    return this.deps.store.getBatch(batchId)?.tenant;
  }

  /** What the worker must do for a batch, or null when there is nothing (deleted, done, purged). */
  workFor(batchId: number): WorkItem | null {
    const batch = this.deps.store.getBatch(batchId);
    if (!batch || !PROCESSING.includes(batch.status) || batch.result || !batch.package) return null;
    const process = this.deps.processes.get(batch.processId);
    if (!process) return null;
    return { batch, process, packagePath: this.deps.blobs.absolute(batch.package.path) };
  }

  newResultPath(batchId: number): { relative: string; absolute: string } {
    const relative = this.deps.blobs.newResultPath(batchId);
    return { relative, absolute: this.deps.blobs.absolute(relative) };
  }

  /**
   * Records a result the worker has already made durable. If the batch was deleted meanwhile the
   * result is thrown away. Afterwards the batch may advance (at once in the instant profile).
   */
  async completeWork(
    batchId: number,
    result: { path: string; size: number; sha256: string },
    outcomes: DocumentOutcome[],
  ): Promise<boolean> {
    const batch = this.deps.store.getBatch(batchId);
    const at = batch ? this.now(batch.tenant) : 0;
    const kept = !!batch && this.deps.store.recordResult(batchId, { ...result, at }, outcomes);
    if (!kept) {
      await this.deps.blobs.remove(result.path);
      return false;
    }
    const ok = outcomes.filter((o) => o.success).length;
    this.deps.log.info({ batchId, files: outcomes.length, succeeded: ok }, 'batch work done');
    this.catchUp(this.deps.store.getBatch(batchId)!);
    return true;
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Batches for the control API and the board, newest first, each brought up to date. */
  list(filter: { tenant?: string; limit?: number }): Batch[] {
    return this.deps.store.listBatches(filter).map((b) => this.catchUp(b));
  }

  /** A batch's recorded status changes, oldest first (control API). */
  transitions(batchId: number): Transition[] {
    return this.deps.store.transitions(batchId);
  }

  /** A batch by id for the control API: any tenant's unless one is given. */
  find(batchId: number, tenant?: string): Batch {
    if (tenant !== undefined) return this.require(tenant, batchId);
    const batch = this.deps.store.getBatch(batchId);
    if (!batch) throw new DomainError('batch_not_found', `There is no batch ${batchId}.`, { batchId });
    return batch;
  }

  /** The tenant's batch, or 404: another tenant's batch is indistinguishable from a missing one. */
  private require(tenant: string, batchId: number): Batch {
    const batch = this.deps.store.getBatch(batchId);
    if (!batch || batch.tenant !== tenant) {
      throw new DomainError(
        'batch_not_found',
        `There is no batch ${batchId} for this API key. Use the id CreateBatch returned, with the same API-KEY.`,
        { batchId },
      );
    }
    return batch;
  }

  /** The status `event` leads to from the batch's status, or a 409 saying what to do instead. */
  private allowed(batch: Batch, event: LifecycleEvent): Status {
    const to = transition(batch.status, event);
    if (!to) throw this.conflict(batch.id, batch.status, event);
    return to;
  }

  /** The one way a status changes: table lookup, compare-and-set, one log line. */
  private move(batch: Batch, event: LifecycleEvent, at = this.now(batch.tenant), label: string = event): Batch {
    const to = this.allowed(batch, event);
    const done = this.deps.store.setStatus(batch.id, batch.status, to, label, at);
    if (!done.ok) throw this.conflict(batch.id, done.current ?? batch.status, event);
    this.logMove(batch, to, label);
    return this.deps.store.getBatch(batch.id)!;
  }

  private logMove(batch: Batch, to: Status, event: string): void {
    if (batch.status !== to) this.deps.log.info({ batchId: batch.id, from: batch.status, to, event }, 'status changed');
  }

  private conflict(batchId: number, status: Status, event: LifecycleEvent | 'download'): DomainError {
    const shown = this.deps.showStatus?.(status) ?? status;
    return new DomainError('wrong_state', `Batch ${batchId} is ${shown} and ${REFUSED[event]}. ${remedy(status, event)}`, {
      batchId,
      batchStatus: shown,
    });
  }
}
