/**
 * What every section of one benchmark run shares: the options, where the repository is, the log,
 * the CPUs to pin to, and the "wait until the machine is quiet" gate with its budget. Made once per
 * run by `createContext`; sections receive it as an argument, so a run keeps no state in modules.
 */
import type { BenchOptions } from './options.js';
import { waitQuiet } from './lib/proc.js';

export interface QuietWait {
  where: string;
  busyCores: number;
  waitedMs: number;
}

export interface BenchContext {
  repoRoot: string;
  opts: BenchOptions;
  log(msg: string): void;
  /** CPU the servers under load are pinned to, or undefined when not pinning. */
  serverCpu: string | undefined;
  /** CPU the load generator is pinned to, or undefined when not pinning. */
  loadgenCpu: string | undefined;
  /**
   * Waits (bounded by what is left of the run's budget) for the machine to be idle before a
   * measurement, and records what it saw: other sessions may share this machine.
   */
  quiet(where: string): Promise<void>;
  /** Every gate passed so far, in order. */
  readonly quietWaits: readonly QuietWait[];
}

/** Busy cores (used by anything else) above which a measurement is flagged in the report. */
export const BUSY_CORES = 0.3;

export function createContext(repoRoot: string, opts: BenchOptions, log: (msg: string) => void, cpuCount: number): BenchContext {
  const pin = opts.pin && cpuCount >= 2;
  const waits: QuietWait[] = [];
  let budgetMs = opts.quietBudgetSec * 1000;
  return {
    repoRoot,
    opts,
    log,
    serverCpu: pin ? '0' : undefined,
    loadgenCpu: pin ? '1' : undefined,
    quietWaits: waits,
    async quiet(where) {
      const q = await waitQuiet(Math.max(1000, Math.min(opts.quick ? 10_000 : 60_000, budgetMs)), BUSY_CORES);
      budgetMs -= q.waitedMs;
      waits.push({ where, ...q });
      if (q.busyCores >= BUSY_CORES) log(`  warning: machine busy (${q.busyCores.toFixed(2)} cores used by others) before ${where}`);
    },
  };
}
