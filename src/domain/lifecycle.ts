import { STATUSES, type Status } from './status.js';

/**
 * The lifecycle as one pure table: status × event → next status. `transition()` is the only way a
 * status changes anywhere in the simulator (BatchRecords calls it before every status write).
 *
 * Events:
 *  - upload:  a ZIP was received (again, before accept: it replaces the package)
 *  - accept:  AcceptBatch
 *  - advance: the next step of processing (driven by the timing profile, the worker's progress,
 *             or an explicit advance in manual mode)
 *  - delete:  BatchDeleteCache
 */
export type LifecycleEvent = 'upload' | 'accept' | 'advance' | 'delete';
export const EVENTS: readonly LifecycleEvent[] = ['upload', 'accept', 'advance', 'delete'];

type Table = Record<Status, Partial<Record<LifecycleEvent, Status>>>;

const TABLE: Table = {
  NEW: { upload: 'UPLOADED', delete: 'DELETED' },
  UPLOADED: { upload: 'UPLOADED', accept: 'ACCEPTED', delete: 'DELETED' },
  ACCEPTED: { advance: 'READY', delete: 'DELETED' },
  READY: { advance: 'IN_PROGRESS', delete: 'DELETED' },
  IN_PROGRESS: { advance: 'FINISHING', delete: 'DELETED' },
  FINISHING: { advance: 'CLOSED', delete: 'DELETED' },
  CLOSED: { delete: 'DELETED' },
  DELETED: {},
};

/** The next status, or undefined when the event is not allowed in this status. */
export function transition(from: Status, event: LifecycleEvent): Status | undefined {
  return TABLE[from][event];
}

/** Statuses in which the batch is being processed and moves on by itself. */
export const PROCESSING: readonly Status[] = ['ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING'];
export const isProcessing = (s: Status): boolean => PROCESSING.includes(s);

/** The order a poller may see statuses in (the declaration order of STATUSES); nothing goes back. */
export const LIFECYCLE_ORDER: readonly Status[] = STATUSES;

/**
 * What a caller should do when `event` is refused in `status`: the second half of every 409.
 * Kept beside the table so the two cannot drift apart.
 */
export function remedy(status: Status, event: LifecycleEvent | 'download'): string {
  if (status === 'DELETED') {
    return 'The batch was deleted from the cache; only BatchStatus still answers for it. Create a new batch.';
  }
  switch (event) {
    case 'upload':
      return 'The package can only be uploaded (or replaced) before AcceptBatch. Create a new batch to send other files.';
    case 'accept':
      return status === 'NEW'
        ? 'Upload the ZIP package with POST /api/upload/{batchId} first, then accept.'
        : 'The batch was already accepted; poll GET /api/BatchStatus/{batchId} until it is CLOSED.';
    case 'download':
      return status === 'NEW' || status === 'UPLOADED'
        ? 'Accept the batch with POST /api/AcceptBatch, then poll GET /api/BatchStatus/{batchId} until it is CLOSED.'
        : 'The package is not ready yet: poll GET /api/BatchStatus/{batchId} until it is CLOSED.';
    case 'advance':
      return 'The batch is not being processed; there is no next step.';
    case 'delete':
      return 'Nothing to delete.';
  }
}
