/**
 * Child-process and temp-file bookkeeping for the benchmark harness.
 *
 * Every child is spawned in its own process group (detached) and registered here, so that on any
 * exit path (normal end, thrown error, SIGINT/SIGTERM, uncaught exception) the whole group is
 * killed and every temp dir made through `makeTempDir` is removed. These two sets are the one
 * piece of module state in the harness, on purpose: the exit and signal hooks that read them are
 * process-wide too, and whatever a run started must be found from there.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Synchronous last-resort cleanup: SIGKILL every live child group, remove temp dirs. */
export function cleanupAllSync(): void {
  for (const child of children) killGroup(child, 'SIGKILL');
  children.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  tempDirs.clear();
}

export function installCleanupHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\n[bench] ${sig}: killing children and removing temp files\n`);
      cleanupAllSync();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`[bench] uncaught: ${err.stack ?? String(err)}\n`);
    cleanupAllSync();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`[bench] unhandled rejection: ${(err as Error)?.stack ?? String(err)}\n`);
    cleanupAllSync();
    process.exit(1);
  });
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Keep a temp dir after exit (for the results file). */
export function keepTempDir(dir: string): void {
  tempDirs.delete(dir);
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Links `<dir>/node_modules` to the repo's, so ESM files written there resolve packages. */
export function linkNodeModules(dir: string, repoRoot: string): void {
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  startedAt: number;
  /** Collected stdout/stderr (capped) for diagnostics. */
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const OUTPUT_CAP = 64 * 1024;

export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions & { cpu?: string; onStdoutLine?: (line: string) => void } = {}): Spawned {
  installCleanupHooks();
  let file = cmd;
  let argv = args;
  if (opts.cpu !== undefined) {
    file = 'taskset';
    argv = ['-c', opts.cpu, cmd, ...args];
  }
  const startedAt = performance.now();
  const child = spawn(file, argv, {
    ...opts,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let buf = '';
  let lineBuf = '';
  const onData = (isStdout: boolean) => (d: Buffer) => {
    const s = d.toString('utf8');
    if (buf.length < OUTPUT_CAP) buf += s.slice(0, OUTPUT_CAP - buf.length);
    if (isStdout && opts.onStdoutLine) {
      lineBuf += s;
      let i: number;
      while ((i = lineBuf.indexOf('\n')) >= 0) {
        const line = lineBuf.slice(0, i);
        lineBuf = lineBuf.slice(i + 1);
        opts.onStdoutLine(line);
      }
      if (lineBuf.length > OUTPUT_CAP) lineBuf = '';
    }
  };
  child.stdout!.on('data', onData(true));
  child.stderr!.on('data', onData(false));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal ? 128 : null));
    });
    child.on('error', (err) => {
      buf += `\n[spawn error] ${err.message}`;
      children.delete(child);
      resolve(-1);
    });
  });
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT is reported via 'error')
  }
  return {
    child,
    pid: child.pid ?? -1,
    startedAt,
    output: () => buf,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      // also make sure no grandchild lingers in the group
      killGroup(child, 'SIGKILL');
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface HttpResult {
  status: number;
  body: string;
}

/** One HTTP request (a fresh connection unless an agent is given), with a timeout. */
export function httpRequest(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    timeoutMs?: number;
    agent?: http.Agent;
  } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false, timeout: opts.timeoutMs ?? 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout ${url}`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `url` every `intervalMs` until it answers with `okStatus` (or the child exits, or
 * `timeoutMs` passes). Returns ms from `since` to the first good answer.
 */
export async function waitForStatus(
  url: string,
  opts: {
    since: number;
    okStatus?: (s: number) => boolean;
    headers?: Record<string, string>;
    intervalMs?: number;
    timeoutMs?: number;
    proc?: Spawned;
  },
): Promise<number> {
  const ok = opts.okStatus ?? ((s) => s === 200);
  const interval = opts.intervalMs ?? 10;
  const deadline = performance.now() + (opts.timeoutMs ?? 60_000);
  const maxAttempts = Math.ceil((opts.timeoutMs ?? 60_000) / interval) + 10;
  let lastErr = '';
  for (let attempt = 0; attempt < maxAttempts && performance.now() < deadline; attempt++) {
    if (opts.proc && (opts.proc.child.exitCode !== null || opts.proc.child.signalCode !== null)) {
      throw new Error(`process exited before answering ${url}:\n${opts.proc.output().slice(-4000)}`);
    }
    const t0 = performance.now();
    try {
      const res = await httpRequest(url, { headers: opts.headers, timeoutMs: 1000 });
      if (ok(res.status)) return performance.now() - opts.since;
      lastErr = `status ${res.status}`;
    } catch (e) {
      lastErr = (e as Error).message;
    }
    const wait = interval - (performance.now() - t0);
    if (wait > 0) await sleep(wait);
  }
  throw new Error(`no good answer from ${url} within ${opts.timeoutMs ?? 60_000} ms (last: ${lastErr})\n${opts.proc?.output().slice(-4000) ?? ''}`);
}

function readStatusField(pid: number, field: string): number | null {
  try {
    const txt = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(txt);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** All descendants of `pid` (via /proc/<p>/stat ppid). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(name), Number(rest[1]));
    } catch {
      /* raced with exit */
    }
  }
  const out: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0 && out.length < 1000) {
    const p = frontier.pop()!;
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        frontier.push(child);
      }
    }
  }
  return out;
}

/**
 * The process that actually serves: with `taskset` or a wrapper in front, the node/java process
 * may be a child of the spawned pid. taskset execs, so usually pid itself.
 */
export function peakRss(pid: number): number | null {
  return readStatusField(pid, 'VmHWM');
}
export function currentRss(pid: number): number | null {
  return readStatusField(pid, 'VmRSS');
}

/** Samples VmRSS of pid + descendants every `everyMs`; stop() gives the max sum seen. */
export function sampleRss(pid: number, everyMs = 20): { stop(): { maxTreeRss: number; samples: number } } {
  let max = 0;
  let samples = 0;
  let kids: number[] = descendants(pid);
  let ticks = 0;
  const timer = setInterval(() => {
    if (++ticks % 50 === 0) kids = descendants(pid); // refresh the tree once a second
    let sum = currentRss(pid) ?? 0;
    for (const k of kids) sum += currentRss(k) ?? 0;
    if (sum > max) max = sum;
    samples++;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { maxTreeRss: max, samples };
    },
  };
}

const CLK_TCK = 100; // USER_HZ on Linux

/** CPU seconds (user+system) used so far by pid, its threads included; null if gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after ')' start at field 3 (state); utime is field 14, stime 15 -> index 11, 12
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by pid and everything below it: its own time and that of its reaped
 * children (cutime, cstime), plus the same for every live descendant. A process tree's cost
 * (the simulator and its sealing processes) whatever else the machine is doing.
 */
export function treeCpuSeconds(pid: number): number | null {
  const own = (p: number): number | null => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime are fields 14–17 -> index 11–14
      return (Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])) / CLK_TCK;
    } catch {
      return null;
    }
  };
  const root = own(pid);
  if (root === null) return null;
  return descendants(pid).reduce((sum, d) => sum + (own(d) ?? 0), root);
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat, excluding idle and iowait). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / CLK_TCK;
}

/**
 * Other sessions may share this machine. Waits (bounded by maxWaitMs) until the machine's busy CPU
 * over one second is under `thresholdCores`; returns the last reading (cores busy).
 */
export async function waitQuiet(maxWaitMs: number, thresholdCores = 0.3): Promise<{ busyCores: number; waitedMs: number }> {
  const t0 = performance.now();
  let busy = Infinity;
  for (let i = 0; i < Math.ceil(maxWaitMs / 1000) + 1; i++) {
    const b0 = machineBusySeconds();
    const w0 = performance.now();
    await sleep(1000);
    busy = (machineBusySeconds() - b0) / ((performance.now() - w0) / 1000);
    if (busy < thresholdCores || performance.now() - t0 >= maxWaitMs) break;
  }
  return { busyCores: busy, waitedMs: performance.now() - t0 };
}
