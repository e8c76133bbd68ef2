import type { Logger } from 'pino';
import type { Batch, Transition } from './batch.js';
import type { BatchTimes, Progression } from './batch-progression.js';
import type { BatchRecords } from './batch-records.js';
import type { BatchService } from './batch-service.js';
import type { BatchStore } from './batch-store.js';
import { DomainError } from './errors.js';
import { LIFECYCLE_ORDER, transition } from './lifecycle.js';
import type { Status } from './status.js';
import type { WorkQueue } from './work-queue.js';

export interface BatchControlDeps {
  records: BatchRecords;
  store: BatchStore;
  progression: Progression;
  /** The vendor's accept: an advanced UPLOADED batch is accepted exactly as AcceptBatch would. */
  vendor: Pick<BatchService, 'accept'>;
  work: WorkQueue;
  log: Logger;
}

/**
 * What the simulator's control API and board do to batches beyond the vendor's operations: list
 * and inspect any tenant's batches, move one on now, forget batches outright. A `tenant` narrows a
 * call to that tenant's batches (another tenant's is a 404); without one it acts on every tenant.
 */
export class BatchControl {
  constructor(private readonly deps: BatchControlDeps) {}

  /** Batches newest first, each brought up to date. */
  list(filter: { tenant?: string; limit?: number }): Batch[] {
    return this.deps.store.listBatches(filter).map((b) => this.deps.progression.catchUp(b));
  }

  /** One batch, brought up to date. */
  get(batchId: number, tenant?: string): Batch {
    return this.deps.progression.catchUp(this.deps.records.find(batchId, tenant));
  }

  /** A batch's recorded status changes, oldest first. */
  transitions(batchId: number): Transition[] {
    return this.deps.store.transitions(batchId);
  }

  /** How long the batch has been in its status and when it moves on by itself. */
  timesOf(batch: Batch): BatchTimes {
    return this.deps.progression.timesOf(batch);
  }

  /** Catches up one tenant's batches (after its clock moved). */
  tickTenant(tenant: string): void {
    this.deps.progression.tickTenant(tenant);
  }

  /**
   * Moves a batch on now, ignoring timing profile and holds: one step, or until it reaches `to`.
   * An UPLOADED batch is accepted on the way; IN_PROGRESS waits for the worker's result, so even a
   * forced CLOSED batch has a real package. (The only way on in manual mode.)
   */
  async advance(batchId: number, opts: { tenant?: string; to?: Status } = {}): Promise<Batch> {
    const { records, progression, vendor, work } = this.deps;
    let batch = progression.catchUp(records.find(batchId, opts.tenant));
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
        batch = vendor.accept(batch.tenant, batch.id);
        continue;
      }
      if (batch.status === 'IN_PROGRESS' && !batch.result) {
        await work.whenDone(batch.id);
        batch = records.find(batch.id, batch.tenant);
        if (!batch.result) {
          throw new DomainError('unavailable', `Batch ${batch.id} has no result yet: the worker could not finish it (see the log).`, { batchId: batch.id });
        }
        continue;
      }
      batch = records.move(batch, 'advance');
    }
    return batch;
  }

  /**
   * Forgets batches outright, with their files: every batch of one tenant, or all of them. Not a
   * vendor operation (that is delete → DELETED); the simulator's reset between tests.
   */
  async purge(tenant?: string): Promise<number> {
    const gone = this.deps.store.purgeTenant(tenant);
    for (const b of gone) await this.deps.progression.release(b, this.deps.work);
    this.deps.log.info({ tenant: tenant ?? '(all)', batches: gone.length }, 'batches purged');
    return gone.length;
  }

  /** Forgets one batch outright, with its files: any tenant's unless one is given (404 otherwise). */
  async forget(batchId: number, tenant?: string): Promise<void> {
    const batch = this.deps.records.find(batchId, tenant);
    if (!this.deps.store.purgeBatch(batchId)) return;
    await this.deps.progression.release(batch, this.deps.work);
    this.deps.log.info({ batchId }, 'batch forgotten');
  }
}
