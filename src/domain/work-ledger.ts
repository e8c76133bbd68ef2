import type { Logger } from 'pino';
import type { Batch } from './batch.js';
import type { Progression } from './batch-progression.js';
import type { BatchStore, DocumentOutcome } from './batch-store.js';
import type { BlobStore } from './blob-store.js';
import type { Clock } from './clock.js';
import { PROCESSING } from './lifecycle.js';
import type { ProcessDef } from './process.js';
import type { ProcessCatalog } from './processes.js';

/** The work the worker has to do for one batch. */
export interface WorkItem {
  batch: Batch;
  process: ProcessDef;
  /** The uploaded package's blob (see BlobStore). */
  packageRef: string;
}

/** A result package the worker has made durable in the blob store. */
export interface WorkResult {
  ref: string;
  size: number;
  sha256: string;
}

export interface WorkLedgerDeps {
  store: BatchStore;
  blobs: BlobStore;
  processes: ProcessCatalog;
  clock: Clock;
  progression: Progression;
  log: Logger;
}

/**
 * The worker's side of the domain: which batches have work, what the work is, how often each file
 * was tried, and where finished work is recorded. The worker asks; the ledger decides (a batch
 * deleted meanwhile has no work, and its late result is thrown away).
 */
export class WorkLedger {
  constructor(private readonly deps: WorkLedgerDeps) {}

  /** Batches accepted but without a durable result: the worker's queue after a restart. */
  pendingWork(): number[] {
    const { store } = this.deps;
    return store.idsInStatus(PROCESSING).filter((id) => store.getBatch(id)?.result === null);
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
    return { batch, process, packageRef: batch.package.path };
  }

  /**
   * Files of the batch whose processing was started and never ended, with how many times (a file
   * in a sealing process when the simulator died).
   */
  fileAttempts(batchId: number): Map<string, number> {
    return this.deps.store.fileAttempts(batchId);
  }

  /** One durable write: `started` files count one more attempt, `ended` files none any more. */
  recordAttempts(batchId: number, started: readonly string[], ended: readonly string[]): void {
    this.deps.store.recordAttempts(batchId, started, ended);
  }

  /**
   * Records a result the worker has already made durable. If the batch was deleted meanwhile the
   * result is thrown away. Afterwards the batch may advance (at once in the instant profile).
   */
  async completeWork(batchId: number, result: WorkResult, outcomes: DocumentOutcome[]): Promise<boolean> {
    const { store, blobs, clock, progression, log } = this.deps;
    const batch = store.getBatch(batchId);
    const at = batch ? clock.now(batch.tenant).getTime() : 0;
    const kept = !!batch && store.recordResult(batchId, { path: result.ref, size: result.size, sha256: result.sha256, at }, outcomes);
    if (!kept) {
      await blobs.remove(result.ref);
      return false;
    }
    const ok = outcomes.filter((o) => o.success).length;
    log.info({ batchId, files: outcomes.length, succeeded: ok }, 'batch work done');
    progression.catchUp(store.getBatch(batchId)!);
    return true;
  }
}
