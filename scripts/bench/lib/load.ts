/**
 * Runs autocannon in its own process (`node scripts/bench/node_modules/autocannon/autocannon.js -j`), pinned to
 * a CPU when asked, and parses its JSON result.
 */
import { peerPath } from './peers.js';
import { cpuSeconds, machineBusySeconds, spawnTracked } from './proc.js';

export interface LoadResult {
  rps: number; // requests.average (per second)
  p50: number; // ms
  p99: number; // ms
  total: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  bytesPerSec: number;
  /** CPU cores used, during the run: by the load generator, and by the whole machine */
  loadgenCores: number;
  machineCores: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  headers?: Record<string, string>;
  cpu?: string;
  pipelining?: number;
  timeoutSec?: number;
}

export async function autocannon(repoRoot: string, o: LoadOptions): Promise<LoadResult> {
  const bin = peerPath(repoRoot, 'autocannon', 'autocannon.js');
  const args = [bin, '-c', String(o.connections), '-d', String(o.durationSec), '-p', String(o.pipelining ?? 1), '-t', String(o.timeoutSec ?? 10), '-j'];
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}=${v}`);
  args.push(o.url);
  let stdout = '';
  const p = spawnTracked(process.execPath, args, {
    cpu: o.cpu,
    onStdoutLine: (l) => {
      stdout += l + '\n';
    },
  });
  // bounded: duration + generous slack
  const killer = setTimeout(() => void p.stop(), (o.durationSec + 30) * 1000);
  // autocannon's own CPU: sampled every 200 ms (the last sample before it exits is kept)
  let lgCpu = 0;
  const m0 = machineBusySeconds();
  const w0 = performance.now();
  const sampler = setInterval(() => {
    const c = cpuSeconds(p.pid);
    if (c !== null) lgCpu = c;
  }, 200);
  const code = await p.exited;
  const wall = (performance.now() - w0) / 1000;
  const machineCores = (machineBusySeconds() - m0) / wall;
  clearInterval(sampler);
  clearTimeout(killer);
  const jsonStart = stdout.indexOf('{');
  if (code !== 0 || jsonStart < 0) {
    throw new Error(`autocannon failed (exit ${code}):\n${p.output().slice(-3000)}`);
  }
  const r = JSON.parse(stdout.slice(jsonStart)) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    throughput: { average: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    bytesPerSec: r.throughput.average,
    loadgenCores: lgCpu / wall,
    machineCores,
  };
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function medianLoad(runs: LoadResult[]): LoadResult {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    total: runs.reduce((a, r) => a + r.total, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    timeouts: runs.reduce((a, r) => a + r.timeouts, 0),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    bytesPerSec: median(runs.map((r) => r.bytesPerSec)),
    loadgenCores: median(runs.map((r) => r.loadgenCores)),
    machineCores: median(runs.map((r) => r.machineCores)),
  };
}
