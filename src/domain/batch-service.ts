import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Batch, BatchPackage } from './batch.js';
import type { Progression } from './batch-progression.js';
import type { BatchRecords } from './batch-records.js';
import type { BatchStore } from './batch-store.js';
import type { BlobStore } from './blob-store.js';
import { DomainError } from './errors.js';
import type { PackageIntake } from './package-intake.js';
import type { ProcessCatalog } from './processes.js';
import type { WorkQueue } from './work-queue.js';

export type { ProgressHooks } from './batch-progression.js';

export interface BatchServiceDeps {
  records: BatchRecords;
  store: BatchStore;
  blobs: BlobStore;
  intake: PackageIntake;
  processes: ProcessCatalog;
  progression: Progression;
  work: WorkQueue;
  log: Logger;
  /** How many uploads one tenant may have in flight (absent: no bound). */
  maxUploadsPerTenant?: number;
  /** What one tenant may hold (absent: no bounds). */
  quotas?: TenantQuotas;
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

export interface OpenedResult {
  stream: Readable;
  size: number;
  fileName: string;
}

/**
 * The vendor's batch operations, for one tenant each: create, upload, accept, status, download,
 * delete. Routes hand it validated values; it decides through the lifecycle table (BatchRecords),
 * keeps each tenant within its quotas, and tells the work queue when a batch has work or ends.
 */
export class BatchService {
  /** Uploads being received, per tenant (bounded by maxUploadsPerTenant). */
  private readonly uploadsInFlight = new Map<string, number>();

  constructor(private readonly deps: BatchServiceDeps) {}

  createBatch(tenant: string, processId: number): Batch {
    const { processes, quotas, store, records, log } = this.deps;
    processes.require(processId);
    const max = quotas?.maxBatches;
    if (max !== undefined && store.tenantUsage(tenant).batches >= max) {
      throw new DomainError(
        'too_many_batches',
        `This API key already holds ${max} batches, the most allowed (setting ${TENANT_LIMIT_SETTINGS.maxBatches}). Delete batches you no longer need (DELETE /api/BatchDeleteCache/{batchId}, or POST /_simulator/reset with your API-KEY) and create it again.`,
        { limit: max, setting: TENANT_LIMIT_SETTINGS.maxBatches },
      );
    }
    const batch = store.createBatch({ tenant, processId, at: records.now(tenant) });
    log.info({ batchId: batch.id, tenant, processId, to: 'NEW' }, 'batch created');
    return batch;
  }

  /** Looks a batch up for a tenant and brings its time-driven status up to date. */
  status(tenant: string, batchId: number): Batch {
    return this.deps.progression.catchUp(this.deps.records.require(tenant, batchId));
  }

  /**
   * Hands the body to the intake (stored, then inspected as hostile input), then records it — only
   * if the batch is still waiting for a package. A rejected upload leaves the batch exactly as it was.
   */
  async upload(
    tenant: string,
    batchId: number,
    body: NodeJS.ReadableStream,
    packageName: string | undefined,
  ): Promise<{ batch: Batch; package: BatchPackage }> {
    const { records, intake, store, blobs, maxUploadsPerTenant } = this.deps;
    const before = records.require(tenant, batchId);
    records.allowed(before, 'upload'); // refuse before reading a byte
    const inFlight = this.uploadsInFlight.get(tenant) ?? 0;
    if (maxUploadsPerTenant !== undefined && inFlight >= maxUploadsPerTenant) {
      throw new DomainError(
        'too_many_uploads',
        `This API key already has ${inFlight} uploads in progress, the most allowed at once (setting ${TENANT_LIMIT_SETTINGS.maxUploads}). Wait for one to finish, then upload again.`,
        { limit: maxUploadsPerTenant, setting: TENANT_LIMIT_SETTINGS.maxUploads },
      );
    }
    // The package this upload replaces frees its bytes; the room left bounds what is read.
    const replaced = before.package?.size ?? 0;
    const room = this.storageRoom(tenant, replaced, 0);
    const maxBytes = Math.min(intake.maxBytes, room);
    this.uploadsInFlight.set(tenant, inFlight + 1);
    try {
      const received = await intake.receive(batchId, body, {
        maxBytes,
        // Past the tenant's room rather than the upload limit: say which limit it was.
        ...(maxBytes < intake.maxBytes && { tooLarge: () => this.storageFull(tenant, room) }),
        // Other uploads of this tenant may have landed meanwhile.
        admit: (size) => {
          if (this.storageRoom(tenant, replaced, size) < 0) throw this.storageFull(tenant, 0);
        },
      });
      try {
        const current = records.require(tenant, batchId);
        const to = records.allowed(current, 'upload');
        const at = records.now(tenant);
        const pkg = { name: packageName ?? `batch-${batchId}.zip`, path: received.ref, size: received.size, sha256: received.sha256, uploadedAt: at };
        const done = store.recordUpload(batchId, current.status, to, pkg, received.files, at);
        if (!done.ok) throw records.conflict(current.id, done.current ?? current.status, 'upload');
        records.logMove(current, to, 'upload');
        await blobs.remove(done.previous?.path);
        return { batch: records.require(tenant, batchId), package: { ...pkg, id: done.packageId } };
      } catch (e) {
        await blobs.remove(received.ref);
        throw e;
      }
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

  /** AcceptBatch: the batch is ACCEPTED and its work is queued. */
  accept(tenant: string, batchId: number): Batch {
    const { records, work } = this.deps;
    const batch = records.move(records.require(tenant, batchId), 'accept');
    work.enqueue(batch.id);
    return batch;
  }

  /** BatchDeleteCache: DELETED from any state; its work stops and the package and result files are removed. */
  async delete(tenant: string, batchId: number): Promise<Batch> {
    const { records, progression, work } = this.deps;
    const batch = records.move(progression.catchUp(records.require(tenant, batchId)), 'delete');
    await progression.release(batch, work);
    return batch;
  }

  /** Opens the result package of a CLOSED batch (opened before returning, so a delete cannot race it). */
  async openResult(tenant: string, batchId: number): Promise<OpenedResult> {
    const batch = this.status(tenant, batchId);
    if (batch.status !== 'CLOSED' || !batch.result) throw this.deps.records.conflict(batch.id, batch.status, 'download');
    const stream = await this.deps.blobs.openRead(batch.result.path, batch.result.size);
    return { stream, size: batch.result.size, fileName: `batch-${batch.id}-signed.zip` };
  }
}
