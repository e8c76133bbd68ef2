import type { Batch, BatchDocument, BatchPackage, BatchResult, Transition } from './batch.js';
import type { Status } from './status.js';
import type { ClockPersistence } from './tenant-clocks.js';

/** A file's outcome as the worker records it. */
export type DocumentOutcome = Pick<BatchDocument, 'fileName' | 'signed' | 'success' | 'detail'>;

/** The result of a compare-and-set: done, or the status that stood in the way. */
export type CasResult = { ok: true } | { ok: false; current: Status | null };

/**
 * Remembers batches. It never decides: every status write is a compare-and-set on the status the
 * caller (BatchRecords, after consulting the lifecycle table) expects, inside a transaction,
 * so two concurrent accepts cannot both win. Every write is durable when the call returns.
 */
export interface BatchStore extends ClockPersistence {
  createBatch(input: { tenant: string; processId: number; at: number }): Batch;
  getBatch(id: number): Batch | undefined;
  /** Batches in any of these statuses, oldest first (for the worker and the progress ticker). */
  idsInStatus(statuses: readonly Status[]): number[];
  listBatches(filter: { tenant?: string; limit?: number }): Batch[];
  countBatches(): number;

  /** Status `from` → `to`, recording the transition. */
  setStatus(id: number, from: Status, to: Status, event: string, at: number): CasResult;

  /**
   * Records a received package and its file list, replacing any earlier one, if the batch is still
   * in `from`; moves it to `to`. Returns the previous package (its file is now garbage).
   */
  recordUpload(
    id: number,
    from: Status,
    to: Status,
    pkg: Omit<BatchPackage, 'id'>,
    files: { name: string; size: number }[],
    at: number,
  ): (CasResult & { ok: true; previous: BatchPackage | null; packageId: number }) | (CasResult & { ok: false });

  /** Records the worker's durable result and per-file outcomes, unless the batch was deleted. */
  recordResult(id: number, result: BatchResult, outcomes: DocumentOutcome[]): boolean;

  /**
   * Files of a batch whose processing was started and never ended, with how many times: a file
   * still being processed when the process died (a poison document that crashed it, or a kill).
   * Cleared when the batch's result is recorded.
   */
  fileAttempts(id: number): Map<string, number>;
  /** One durable write: `started` files count one more attempt, `ended` files none any more. */
  recordAttempts(id: number, started: readonly string[], ended: readonly string[]): void;

  /** Package and result paths (relative to the data directory) that a batch still refers to. */
  referencedPaths(): Set<string>;

  transitions(id: number): Transition[];

  /** Removes a batch and everything recorded about it (control API; not a vendor operation). */
  purgeBatch(id: number): boolean;
  /** Removes every batch of a tenant, or every batch when tenant is undefined; returns their ids. */
  purgeTenant(tenant: string | undefined): Batch[];

  /** What one tenant holds: batches not DELETED, and the bytes of their current packages and results. */
  tenantUsage(tenant: string): { batches: number; bytes: number };

  /** Throws when the database cannot be written (health check). */
  checkWritable(): void;
  close(): void;
}
