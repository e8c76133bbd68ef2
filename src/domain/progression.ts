import type { Batch } from './batch.js';
import { isProcessing } from './lifecycle.js';
import type { TimingProfile } from './timing.js';

/**
 * When the batch's next automatic `advance` is due (epoch ms on the tenant's clock), or null when
 * it will not move by itself: it is not being processed, the profile is manual, or it is
 * IN_PROGRESS and the worker has not yet durably written the result (so a batch can never reach
 * FINISHING or CLOSED before its package exists).
 *
 * The due time is derived from stored timestamps only, never from timers: after a restart, or
 * when a test moves the clock, the same batch is due at the same instant.
 */
export function nextAdvanceAt(batch: Batch, profile: TimingProfile): number | null {
  if (!isProcessing(batch.status)) return null;
  const dwell = profile.dwellMs(batch.status, batch.documents.length);
  if (dwell === null) return null;
  const due = batch.statusSince + dwell;
  if (batch.status === 'IN_PROGRESS') {
    if (!batch.result) return null;
    return Math.max(due, batch.result.at);
  }
  return due;
}
