import type { Logger } from 'pino';
import type { Batch } from './batch.js';
import type { BatchRecords } from './batch-records.js';
import type { BatchStore } from './batch-store.js';
import type { BlobStore } from './blob-store.js';
import { PROCESSING } from './lifecycle.js';
import { nextAdvanceAt } from './progression.js';
import type { TimingProfile } from './timing.js';
import type { WorkQueue } from './work-queue.js';

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

export interface ProgressionDeps {
  records: BatchRecords;
  store: BatchStore;
  blobs: BlobStore;
  timing: TimingProfile;
  log: Logger;
  hooks?: ProgressHooks;
}

/** How long a batch has been in its status, and when it moves on by itself (null: it does not). */
export interface BatchTimes {
  timeInStatusMs: number;
  nextStepAt: number | null;
}

/**
 * Time-driven status: a batch's automatic steps are derived from its stored timestamps and the
 * tenant's clock when it is read (or when the ticker looks), never from timers, so a restart or a
 * clock moved by a test lands every batch where it would have been.
 */
export class Progression {
  constructor(private readonly deps: ProgressionDeps) {}

  /** Applies every automatic step that is due by the tenant's clock, stamping each at its due time. */
  catchUp(batch: Batch): Batch {
    const { records, timing, hooks } = this.deps;
    let current = batch;
    for (;;) {
      const now = records.now(current.tenant);
      if (current.status === 'CLOSED') {
        const expiry = hooks?.expireAt(current) ?? null;
        if (expiry !== null && expiry <= now) return this.expire(current, expiry);
        return current;
      }
      let due = nextAdvanceAt(current, timing);
      if (due === null || due > now) return current;
      const hold = hooks?.holdUntil(current, due) ?? null;
      if (hold !== null) {
        if (hold > now) return current;
        due = Math.max(due, hold);
      }
      current = records.move(current, 'advance', due);
    }
  }

  /** Catches up every batch in processing, and every batch a hook watches (the background ticker). */
  tick(): void {
    const { store, hooks } = this.deps;
    const ids = new Set([...store.idsInStatus(PROCESSING), ...(hooks?.watched() ?? [])]);
    for (const id of ids) {
      const batch = store.getBatch(id);
      if (batch) this.catchUp(batch);
    }
  }

  /** Catches up one tenant's batches (after its clock moved). */
  tickTenant(tenant: string): void {
    for (const b of this.deps.store.listBatches({ tenant, limit: Number.MAX_SAFE_INTEGER })) this.catchUp(b);
  }

  /** How long the batch has been in its status and when it moves on, by the tenant's clock now. */
  timesOf(batch: Batch): BatchTimes {
    return {
      timeInStatusMs: Math.max(0, this.deps.records.now(batch.tenant) - batch.statusSince),
      nextStepAt: nextAdvanceAt(batch, this.deps.timing),
    };
  }

  /**
   * A batch has ended (DELETED, expired or forgotten): faults stop tracking it, its work stops and
   * its package and result files go. The one place every way out passes through.
   */
  async release(batch: Batch, work: Pick<WorkQueue, 'cancel'> | null): Promise<void> {
    this.deps.hooks?.settled(batch.id);
    // Work in progress stops first (its sealing processes are killed), so no file of the batch is
    // being read or written when the files go.
    await work?.cancel(batch.id);
    await this.deps.blobs.remove(batch.package?.path);
    await this.deps.blobs.remove(batch.result?.path);
  }

  /** The vendor's cache expiry: a CLOSED batch becomes DELETED on its own and its files go. */
  private expire(batch: Batch, at: number): Batch {
    const gone = this.deps.records.move(batch, 'delete', at, 'expire');
    // Only a CLOSED batch expires, and a batch is CLOSED only once its work is done and recorded:
    // there is no work to stop. Called from a synchronous status read: the files go in the background.
    this.release(gone, null).catch((err) => this.deps.log.warn({ err, batchId: batch.id }, 'could not remove file'));
    return gone;
  }
}
