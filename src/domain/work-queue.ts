/**
 * The queue of real work (sealing, validating) that runs off the request path. The domain says
 * when a batch has work and when its work must stop; the worker does it, reading what to do from
 * the work ledger and handing its results back there.
 */
export interface WorkQueue {
  /** The batch was accepted and has work to do (a batch already queued or in hand is left alone). */
  enqueue(batchId: number): void;
  /** The batch has ended (deleted, forgotten): its work stops now. Resolves once nothing runs for it. */
  cancel(batchId: number): Promise<void>;
  /** Resolves once the batch is neither queued nor being worked on (done, given up, or stopped). */
  whenDone(batchId: number): Promise<void>;
}
