/**
 * Measuring helpers the sections share: start a server and wait for its first good answer, warm
 * it up, and measure several servers under the same load in interleaved rounds.
 */
import type { BenchContext } from '../context.js';
import { autocannon, type LoadResult, median, medianLoad } from './load.js';
import { cpuSeconds, freePort, type Spawned, waitForStatus } from './proc.js';
import { API_HEADERS, type ServerDef, type ServerName } from './servers.js';

/** One server measured under one load: medians over the rounds, and what it cost. */
export interface LoadRow {
  server: ServerName;
  label: string;
  connections: number;
  median: LoadResult;
  runs: LoadResult[];
  /** Server CPU use during the measured runs, in cores (1.0 = one core busy). */
  serverCpu: number;
  /** CPU used by anything else on the machine during the runs (other sessions), in cores. */
  otherCpu: number;
  bodyBytes: number;
  peakRssBytes: number | null;
}

export type Measured = Pick<LoadRow, 'median' | 'runs' | 'serverCpu' | 'otherCpu'>;

export interface LoadTarget {
  key: string;
  proc: Spawned;
  url: string;
}

/** Server CPU microseconds spent per request served. */
export const cpuMicrosPerRequest = (r: Measured): number => (1e6 * r.serverCpu) / Math.max(1, r.median.rps);

/** Starts `def` on a free loopback port and waits (polling every 10 ms) for its first good answer. */
export async function startAndWait(def: ServerDef, cpu?: string): Promise<{ proc: Spawned; base: string; readyMs: number }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = def.start(port, cpu);
  const readyMs = await waitForStatus(base + def.readyPath, {
    since: proc.startedAt,
    okStatus: def.readyOk,
    headers: API_HEADERS,
    intervalMs: 10,
    timeoutMs: 60_000,
    proc,
  });
  return { proc, base, readyMs };
}

export async function warmUp(ctx: BenchContext, url: string): Promise<void> {
  await autocannon(ctx.repoRoot, {
    url,
    connections: ctx.opts.connections,
    durationSec: ctx.opts.warmupSec,
    headers: API_HEADERS,
    cpu: ctx.loadgenCpu,
  });
}

/**
 * `runs` rounds; in each round every target gets one measured autocannon run, one after the
 * other. Interleaving spreads any slow period of a shared machine over all servers instead of
 * letting it land on one; medians are taken per target over the rounds.
 */
export async function measureInterleaved(ctx: BenchContext, targets: LoadTarget[], connections: number, runs: number): Promise<Map<string, Measured>> {
  const acc = new Map(targets.map((t) => [t.key, { results: [] as LoadResult[], cpus: [] as number[], others: [] as number[] }]));
  for (let i = 0; i < runs; i++) {
    for (const t of targets) {
      const a = acc.get(t.key)!;
      const c0 = cpuSeconds(t.proc.pid) ?? 0;
      const t0 = performance.now();
      const r = await autocannon(ctx.repoRoot, {
        url: t.url,
        connections,
        durationSec: ctx.opts.durationSec,
        headers: API_HEADERS,
        cpu: ctx.loadgenCpu,
      });
      const wall = (performance.now() - t0) / 1000;
      const c1 = cpuSeconds(t.proc.pid) ?? c0;
      const serverCores = (c1 - c0) / wall;
      const other = Math.max(0, r.machineCores - serverCores - r.loadgenCores);
      a.cpus.push(serverCores);
      a.others.push(other);
      a.results.push(r);
      ctx.log(
        `  ${t.key} c=${connections} round ${i + 1}/${runs}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms errors ${r.errors + r.timeouts} non2xx ${r.non2xx}` +
          ` | cores: server ${serverCores.toFixed(2)} autocannon ${r.loadgenCores.toFixed(2)} other ${other.toFixed(2)}`,
      );
    }
  }
  const out = new Map<string, Measured>();
  for (const [k, a] of acc) out.set(k, { median: medianLoad(a.results), runs: a.results, serverCpu: median(a.cpus), otherCpu: median(a.others) });
  return out;
}
