/**
 * The benchmark's command-line options: one table gives each option's flag, its help line and how
 * it sets the options object, so `--help` and the parser cannot disagree.
 */
import { ALL_PEERS, type PeerName } from './lib/servers.js';

export type Section = 'status' | 'startup' | 'upload' | 'sealing' | 'scale';
export const ALL_SECTIONS: readonly Section[] = ['status', 'startup', 'upload', 'sealing', 'scale'];

export interface BenchOptions {
  help: boolean;
  /** Short runs for a smoke test; the figures are not for publication. */
  quick: boolean;
  sections: Section[];
  peers: PeerName[];
  /** What to benchmark as the simulator: `dist`, `stand-in` or a command line. */
  sim: string;
  /** A git ref to build and measure beside the current build (status, start-up, sealing). */
  baseline: string | null;
  /** Pin servers to CPU 0 and the load generator to CPU 1 (only on a machine with 2+ CPUs). */
  pin: boolean;
  warmupSec: number;
  durationSec: number;
  runs: number;
  connections: number;
  /** Also measure the status route at `overloadConnections`. */
  overload: boolean;
  overloadConnections: number;
  overloadRuns: number;
  startupRuns: number;
  uploadMiB: number;
  uploadRuns: number;
  storedMany: number;
  storedFew: number;
  sealingDocs: number;
  sealingRuns: number;
  /** Total seconds all "wait until the machine is quiet" gates together may wait. */
  quietBudgetSec: number;
}

export function defaults(quick: boolean): BenchOptions {
  return {
    help: false,
    quick,
    sections: [...ALL_SECTIONS],
    peers: [...ALL_PEERS],
    sim: 'dist',
    baseline: null,
    pin: true,
    warmupSec: quick ? 2 : 15,
    durationSec: quick ? 3 : 10,
    runs: quick ? 1 : 3,
    connections: 50,
    overload: true,
    overloadConnections: 500,
    overloadRuns: quick ? 1 : 3,
    startupRuns: quick ? 3 : 5,
    uploadMiB: quick ? 256 : 1024,
    uploadRuns: quick ? 1 : 3,
    storedMany: quick ? 1000 : 10_000,
    storedFew: 10,
    sealingDocs: quick ? 20 : 100,
    sealingRuns: 1,
    quietBudgetSec: quick ? 20 : 120,
  };
}

interface OptionDef {
  flag: string;
  /** Name of the value in the help text; absent for a switch. */
  value?: string;
  help: (d: BenchOptions, q: BenchOptions) => string;
  set(o: BenchOptions, v: string): void;
}

const count = (flag: string, v: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} wants a whole number ≥ ${min}, not "${v}"`);
  return n;
};
const list = <T extends string>(flag: string, v: string, allowed: readonly T[]): T[] => {
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'none');
  for (const s of items) if (!(allowed as readonly string[]).includes(s)) throw new UsageError(`${flag}: "${s}" is not one of ${allowed.join(', ')}`);
  return items as T[];
};
/** "full default (quick default)" for a numeric option. */
const dq = (pick: (o: BenchOptions) => number | string) => (d: BenchOptions, q: BenchOptions) =>
  pick(d) === pick(q) ? `default ${pick(d)}` : `default ${pick(d)}, --quick ${pick(q)}`;

export const OPTIONS: readonly OptionDef[] = [
  { flag: '--help', help: () => 'print this help and exit', set: (o) => (o.help = true) },
  { flag: '--quick', help: () => 'short runs (a smoke test, about 2 min; figures not for publication)', set: (o) => (o.quick = true) },
  {
    flag: '--only',
    value: 'LIST',
    help: () => `sections to run, comma-separated: ${ALL_SECTIONS.join(', ')} (default all)`,
    set: (o, v) => (o.sections = list('--only', v, ALL_SECTIONS)),
  },
  {
    flag: '--peers',
    value: 'LIST',
    help: () => `servers compared with the simulator in status and start-up: ${ALL_PEERS.join(', ')}, or none (default all)`,
    set: (o, v) => (o.peers = list('--peers', v, ALL_PEERS)),
  },
  {
    flag: '--sim',
    value: 'WHAT',
    help: () =>
      'what to benchmark as the simulator: dist (node dist/src/cli.js, the default), stand-in (scripts/bench/stand-in-sim.ts, ' +
      'for developing this harness) or a command line',
    set: (o, v) => (o.sim = v),
  },
  {
    flag: '--baseline',
    value: 'REF',
    help: () =>
      'also build git REF in a temporary worktree (its node_modules hard-linked from this checkout) and measure it beside ' +
      'the current build: server CPU per status request, start-up and the sealing mix, printed as before/after/ratio',
    set: (o, v) => (o.baseline = v),
  },
  { flag: '--no-overload', help: () => 'measure the status route at 50 connections only, not also at 500', set: (o) => (o.overload = false) },
  { flag: '--no-pin', help: () => 'do not pin servers (CPU 0) and the load generator (CPU 1) with taskset', set: (o) => (o.pin = false) },
  {
    flag: '--duration',
    value: 'S',
    help: (d, q) => `seconds of each measured load run (${dq((o) => o.durationSec)(d, q)})`,
    set: (o, v) => (o.durationSec = count('--duration', v)),
  },
  {
    flag: '--warmup',
    value: 'S',
    help: (d, q) => `seconds of load before a server is measured (${dq((o) => o.warmupSec)(d, q)})`,
    set: (o, v) => (o.warmupSec = count('--warmup', v)),
  },
  {
    flag: '--runs',
    value: 'N',
    help: (d, q) => `interleaved measured rounds per load row (${dq((o) => o.runs)(d, q)})`,
    set: (o, v) => {
      o.runs = count('--runs', v);
      o.overloadRuns = o.runs;
    },
  },
  {
    flag: '--startup-runs',
    value: 'N',
    help: (d, q) => `start-ups measured per server (${dq((o) => o.startupRuns)(d, q)})`,
    set: (o, v) => (o.startupRuns = count('--startup-runs', v)),
  },
  {
    flag: '--upload-mib',
    value: 'N',
    help: (d, q) => `size of the upload ZIP in MiB (${dq((o) => o.uploadMiB)(d, q)})`,
    set: (o, v) => (o.uploadMiB = count('--upload-mib', v)),
  },
  {
    flag: '--stored',
    value: 'N',
    help: (d, q) => `batches for the "many stored" status row (${dq((o) => o.storedMany)(d, q)})`,
    set: (o, v) => (o.storedMany = count('--stored', v)),
  },
  {
    flag: '--sealing-docs',
    value: 'N',
    help: (d, q) => `documents of each kind (PDF, XML, TXT) in the sealing mix (${dq((o) => o.sealingDocs)(d, q)})`,
    set: (o, v) => (o.sealingDocs = count('--sealing-docs', v)),
  },
  {
    flag: '--sealing-runs',
    value: 'N',
    help: (d, q) => `sealing-mix runs per build, alternating with the baseline (${dq((o) => o.sealingRuns)(d, q)})`,
    set: (o, v) => (o.sealingRuns = count('--sealing-runs', v)),
  },
  {
    flag: '--quiet-budget',
    value: 'S',
    help: (d, q) => `seconds all "wait until the machine is quiet" gates may wait in total (${dq((o) => o.quietBudgetSec)(d, q)})`,
    set: (o, v) => (o.quietBudgetSec = count('--quiet-budget', v, 0)),
  },
];

export class UsageError extends Error {}

/** Parses argv; throws UsageError for an unknown flag or a bad value. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const o = defaults(argv.includes('--quick'));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const def = OPTIONS.find((d) => d.flag === flag);
    if (!def) throw new UsageError(`unknown option ${arg} (see --help)`);
    if (def.value === undefined) {
      def.set(o, '');
      continue;
    }
    const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value (${def.value})`);
    def.set(o, v);
  }
  return o;
}

export function helpText(): string {
  const d = defaults(false);
  const q = defaults(true);
  const names = OPTIONS.map((o) => (o.value ? `${o.flag} ${o.value}` : o.flag));
  const w = Math.max(...names.map((n) => n.length)) + 2;
  const lines = OPTIONS.map((o, i) => `  ${names[i]!.padEnd(w)}${o.help(d, q)}`);
  return [
    'seal-simulator benchmarks (never part of npm test): npm run bench [-- OPTIONS], or npx tsx scripts/bench/run.ts [OPTIONS]',
    'Benchmarks dist/ (build it first: npm run build). Servers listen on 127.0.0.1 only.',
    '',
    ...lines,
    '',
    'Prints the tables and writes bench-results.json and bench-results.md into a fresh temporary directory whose path it prints.',
  ].join('\n');
}
