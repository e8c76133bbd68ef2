import type { Status } from './status.js';

/**
 * Timing profiles: how long a batch stays visible in each processing status before it moves on.
 * The simulator never sleeps: a batch's `statusSince` timestamp and the clock decide whether the
 * next step is due. `null` means "never by itself" (manual profile: only an explicit advance).
 */
export type TimingProfileName = 'instant' | 'fast' | 'realistic' | 'manual' | 'recorded';
export const TIMING_PROFILES: readonly TimingProfileName[] = ['instant', 'fast', 'realistic', 'manual', 'recorded'];

export interface TimingProfile {
  readonly name: TimingProfileName;
  /** Minimum milliseconds in `status` before the next step, for a batch of `fileCount` files. */
  dwellMs(status: Status, fileCount: number): number | null;
}

const profile = (name: TimingProfileName, dwell: Partial<Record<Status, (files: number) => number | null>>): TimingProfile => ({
  name,
  dwellMs: (status, files) => dwell[status]?.(files) ?? null,
});

const zero = () => 0;

const PROFILES: Record<Exclude<TimingProfileName, 'recorded'>, TimingProfile> = {
  /** As soon as the work is done. */
  instant: profile('instant', { ACCEPTED: zero, READY: zero, IN_PROGRESS: zero, FINISHING: zero }),
  /** Every step visible to a poller for a few hundred ms; the whole lifecycle in about 2 s. */
  fast: profile('fast', {
    ACCEPTED: () => 400,
    READY: () => 400,
    IN_PROGRESS: () => 600,
    FINISHING: () => 400,
  }),
  /** Seconds per step, growing with the number of files, like a busy real service. */
  realistic: profile('realistic', {
    ACCEPTED: () => 2_000,
    READY: (n) => 3_000 + 100 * n,
    IN_PROGRESS: (n) => 5_000 + 1_000 * n,
    FINISHING: (n) => 2_000 + 200 * n,
  }),
  /** Batches advance only when told (POST /_simulator/batches/{id}/advance). */
  manual: profile('manual', {}),
};

/**
 * The named profile; `recorded` replays the fixed per-phase durations a vendor profile observed
 * (the conformance kit measures one batch, so they do not grow with the file count).
 */
export function timingProfile(name: TimingProfileName, recorded?: Partial<Record<Status, number>> | null): TimingProfile {
  if (name !== 'recorded') return PROFILES[name];
  if (!recorded) throw new Error('the recorded timing needs the durations a vendor profile observed');
  return profile('recorded', Object.fromEntries(Object.entries(recorded).map(([status, ms]) => [status, () => ms])));
}

/** The durations a named profile shows for a batch of `files` files (what the conformance kit expects). */
export function phaseDurations(timing: TimingProfile, files: number): Partial<Record<Status, number | null>> {
  return Object.fromEntries((['ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING'] as const).map((s) => [s, timing.dwellMs(s, files)]));
}
