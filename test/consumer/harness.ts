import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, REPO_ROOT } from '../e2e/process.js';

/**
 * A fresh project outside this repository, as a user makes one: the packed tarball installed from
 * disk, the test runners it needs installed from the npm registry, and child processes whose
 * temporary directory (TMPDIR) is the project's own, so a `seal-simulator-*` directory left behind
 * is seen — and is nobody else's.
 */

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** `npm pack` of this checkout into `dir` (dist/ must be built); returns the tarball's path. */
export async function pack(dir: string): Promise<string> {
  const { stdout } = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    timeout: 120_000,
  });
  return join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
}

export interface Project {
  dir: string;
  /** The project's TMPDIR. */
  tmp: string;
  /** Where every timed close() appends a line (see TIMED_CLOSE). */
  closeLog: string;
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
}

/**
 * Wraps a document's `x.close()` calls so the test learns how long each took: the block's text is
 * used as written except that `EXPR.close()` becomes `globalThis.__timedClose(EXPR)`, defined by a
 * module every process of the project preloads (NODE_OPTIONS=--import).
 */
export function timedClose(code: string): string {
  const out = code.replace(/([A-Za-z_$][\w$.]*?)\??\.close\(\)/g, 'globalThis.__timedClose($1)');
  if (out === code) throw new Error(`no .close() call to time in:\n${code}`);
  return out;
}

const TIMED_CLOSE = `import { appendFileSync } from 'node:fs';
globalThis.__timedClose = async (sim) => {
  if (!sim) return;
  const started = performance.now();
  await sim.close();
  appendFileSync(process.env.SEAL_CLOSE_LOG, JSON.stringify({ ms: performance.now() - started, pid: process.pid }) + '\\n');
};
`;

/**
 * Makes `dir` a project of the given module type with `devDependencies` from the registry and the
 * packed simulator. Install scripts are skipped and better-sqlite3's addon is copied from this
 * checkout (same pinned version, same machine): compiling it takes minutes on two cores and is
 * better-sqlite3's business, not this package's.
 */
export async function makeProject(
  dir: string,
  type: 'module' | 'commonjs',
  tarball: string,
  devDependencies: string[],
  extra: Record<string, unknown> = {},
): Promise<Project> {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `consumer-${type}`, version: '1.0.0', private: true, type, ...extra }, null, 2)}\n`);
  writeFileSync(join(dir, 'timed-close.mjs'), TIMED_CLOSE);
  const project: Project = {
    dir,
    tmp: join(dir, 'tmp'),
    closeLog: join(dir, 'close.log'),
    env: (more = {}) =>
      cleanEnv({
        TMPDIR: join(dir, 'tmp'),
        SEAL_CLOSE_LOG: join(dir, 'close.log'),
        NODE_OPTIONS: `--import ${join(dir, 'timed-close.mjs')}`,
        CI: 'true',
        NO_COLOR: '1',
        ...more,
      }),
  };
  const { stderr } = await run(
    npm,
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=warn', tarball, ...devDependencies.flatMap((d) => ['-D', d])],
    { cwd: dir, env: cleanEnv(), timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const addon = (root: string) => join(root, 'node_modules', 'better-sqlite3', 'build', 'Release');
  mkdirSync(addon(dir), { recursive: true });
  cpSync(join(addon(REPO_ROOT), 'better_sqlite3.node'), join(addon(dir), 'better_sqlite3.node'));
  writeFileSync(join(dir, 'install.log'), stderr);
  return project;
}

export function write(project: Project, file: string, text: string): void {
  mkdirSync(join(project.dir, file, '..'), { recursive: true });
  writeFileSync(join(project.dir, file), text);
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command in the project to completion; killed (and reported) after `timeoutMs`. */
export function runIn(project: Project, cmd: string, args: string[], timeoutMs = 120_000, env: Record<string, string> = {}): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: project.dir, env: project.env(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[harness] killed after ${timeoutMs} ms`;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** The timed close() calls logged since the last call, and the log emptied. */
export function takeCloses(project: Project): { ms: number }[] {
  if (!existsSync(project.closeLog)) return [];
  const lines = readFileSync(project.closeLog, 'utf8').trim().split('\n').filter(Boolean);
  writeFileSync(project.closeLog, '');
  return lines.map((l) => JSON.parse(l) as { ms: number });
}

/** Directories the simulator left in the project's TMPDIR; removed, so the next run starts clean. */
export function leftovers(project: Project): string[] {
  const left = readdirSync(project.tmp).filter((n) => n.startsWith('seal-simulator-'));
  for (const n of left) rmSync(join(project.tmp, n), { recursive: true, force: true });
  return left;
}

/**
 * Sends Ctrl-C the way a terminal does (SIGINT to the whole foreground group: npm or npx and the
 * simulator under it) and resolves when the simulator's own process — `pid` from its start line —
 * is gone, with the milliseconds that took. npm's and npx's exit status after a Ctrl-C is npm's
 * business; the simulator's clean stop shows in its "stopped" log line.
 */
export async function ctrlC(group: ChildProcess, pid: number, timeoutMs = 15_000): Promise<number> {
  const sent = Date.now();
  killGroup(group, 'SIGINT');
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return Date.now() - sent;
    }
    if (Date.now() - sent > timeoutMs) throw new Error(`the simulator (pid ${pid}) still runs ${timeoutMs} ms after Ctrl-C`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The simulator's JSON start line in `stdout`, once it is there. */
export function startLine(stdout: string): { url: string; pid: number } | undefined {
  for (const line of stdout.split('\n').slice(0, -1)) {
    if (!line.startsWith('{') || !line.includes('"url"')) continue;
    const parsed = JSON.parse(line) as { url?: string; pid?: number };
    if (parsed.url && parsed.pid) return { url: parsed.url, pid: parsed.pid };
  }
  return undefined;
}

/** The project's own SealClient, "your code under test" in docs/shipping.md: Node's fetch, keep-alive on. */
export const SEAL_CLIENT = `import { readFile } from 'node:fs/promises';

export class SealClient {
  constructor(url, apiKey) {
    this.url = url;
    this.headers = { 'API-KEY': apiKey };
  }
  async call(path, init = {}) {
    const res = await fetch(this.url + path, { ...init, headers: { ...this.headers, ...init.headers } });
    if (!res.ok) throw new Error(path + ' answered ' + res.status + ': ' + (await res.text()));
    return res;
  }
  async createBatch(processId) {
    return Number((await (await this.call('/api/CreateBatch/' + processId, { method: 'POST' })).json()).id);
  }
  /** The whole flow: create, upload, accept, poll until CLOSED, download. Resolves to the sealed ZIP. */
  async seal(processId, zipPath) {
    const id = await this.createBatch(processId);
    const body = await readFile(zipPath);
    await this.call('/api/upload/' + id, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
    await this.call('/api/AcceptBatch/' + id, { method: 'POST' });
    for (const deadline = Date.now() + 45_000; Date.now() < deadline; ) {
      const { status } = await (await this.call('/api/BatchStatus/' + id)).json();
      if (status === 'CLOSED') return Buffer.from(await (await this.call('/api/batchfile/' + id)).arrayBuffer());
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('batch ' + id + ' did not reach CLOSED');
  }
}
`;

export const DOCUMENTS_ZIP = join(REPO_ROOT, 'fixtures', 'documents.zip');
