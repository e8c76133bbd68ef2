import type { Logger } from 'pino';
import type { Batch } from './batch.js';
import type { BatchStore } from './batch-store.js';
import type { Clock } from './clock.js';
import { DomainError } from './errors.js';
import { type LifecycleEvent, remedy, transition } from './lifecycle.js';
import type { Status } from './status.js';

const REFUSED: Record<LifecycleEvent | 'download', string> = {
  upload: 'cannot take an upload',
  accept: 'cannot be accepted',
  advance: 'cannot advance',
  delete: 'cannot be deleted',
  download: 'cannot be downloaded',
};

export interface BatchRecordsDeps {
  store: BatchStore;
  clock: Clock;
  log: Logger;
  /** How a status is named to clients (status table A shows UPLOADED as NEW). */
  showStatus?: (status: Status) => Status;
}

/**
 * Finds batches and changes their status: the one place the lifecycle table meets the store.
 * Every status change goes through `move()` (table lookup, then compare-and-set, then one log
 * line); every refusal of a move is a 409 that says what to do instead. Shared by the vendor
 * operations, the control operations, progression and the work ledger.
 */
export class BatchRecords {
  constructor(private readonly deps: BatchRecordsDeps) {}

  /** Now on the tenant's clock (epoch ms). */
  now(tenant: string): number {
    return this.deps.clock.now(tenant).getTime();
  }

  /** The tenant's batch, or 404: another tenant's batch is indistinguishable from a missing one. */
  require(tenant: string, batchId: number): Batch {
    const batch = this.deps.store.getBatch(batchId);
    if (!batch || batch.tenant !== tenant) {
      throw new DomainError('batch_not_found', `There is no batch ${batchId} for this API key. Use the id CreateBatch returned, with the same API-KEY.`, {
        batchId,
      });
    }
    return batch;
  }

  /** A batch by id for the control API: any tenant's unless one is given. */
  find(batchId: number, tenant?: string): Batch {
    if (tenant !== undefined) return this.require(tenant, batchId);
    const batch = this.deps.store.getBatch(batchId);
    if (!batch) throw new DomainError('batch_not_found', `There is no batch ${batchId}.`, { batchId });
    return batch;
  }

  /** The status `event` leads to from the batch's status, or a 409 saying what to do instead. */
  allowed(batch: Batch, event: LifecycleEvent): Status {
    const to = transition(batch.status, event);
    if (!to) throw this.conflict(batch.id, batch.status, event);
    return to;
  }

  /** The one way a status changes: table lookup, compare-and-set, one log line. */
  move(batch: Batch, event: LifecycleEvent, at = this.now(batch.tenant), label: string = event): Batch {
    const to = this.allowed(batch, event);
    const done = this.deps.store.setStatus(batch.id, batch.status, to, label, at);
    if (!done.ok) throw this.conflict(batch.id, done.current ?? batch.status, event);
    this.logMove(batch, to, label);
    return this.deps.store.getBatch(batch.id)!;
  }

  /** The log line of a status change written by the store on the caller's behalf (an upload). */
  logMove(batch: Batch, to: Status, event: string): void {
    if (batch.status !== to) this.deps.log.info({ batchId: batch.id, from: batch.status, to, event }, 'status changed');
  }

  conflict(batchId: number, status: Status, event: LifecycleEvent | 'download'): DomainError {
    const shown = this.deps.showStatus?.(status) ?? status;
    return new DomainError('wrong_state', `Batch ${batchId} is ${shown} and ${REFUSED[event]}. ${remedy(status, event)}`, {
      batchId,
      batchStatus: shown,
    });
  }
}
