import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the built bin (`dist/src/cli.js`, what `npm install -g seal-simulator` runs) as a real
 * process, with an environment cleaned of the simulator's own variables so the machine running the
 * tests cannot change what they see. Every wait is bounded.
 */

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

/** process.env without PORT, HOST and SEAL_SIM_*; `extra` added on top. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'PORT' || k === 'HOST' || k.startsWith('SEAL_SIM_')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (for --help, --version, bad flags). Killed after `timeoutMs`. */
export function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`seal-simulator ${args.join(' ')} did not exit within ${options.timeoutMs ?? 15_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from the stop signal to the exit. */
  ms: number;
}

export interface SimProcess {
  child: ChildProcess;
  url: string;
  /** The parsed JSON start line. */
  start: Record<string, unknown>;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (whenever that is). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits up to `timeoutMs` for the exit; SIGKILLs and rejects after that. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/**
 * Starts `seal-simulator args…` and resolves once it has printed its JSON start line (stdout is a
 * pipe here, so the line is JSON). Rejects, with the process's output, if it exits first or prints
 * no start line within `timeoutMs`.
 */
export function startCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; cli?: string } = {}): Promise<SimProcess> {
  if (!options.cli) assertBuilt();
  const timeoutMs = options.timeoutMs ?? 20_000;
  const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
    env: cleanEnv(options.env),
    cwd: options.cwd ?? REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  return new Promise<SimProcess>((resolve, reject) => {
    let started = false;
    const fail = (why: string) => {
      if (started) return;
      started = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`no start line within ${timeoutMs} ms`), timeoutMs);
    child.on('error', (e) => fail(`spawn failed: ${e.message}`));
    void exited.then(({ code, signal }) => fail(`exited (code ${code}, signal ${signal}) before printing its start line`));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (started) return;
      const line = findStartLine(stdout);
      if (!line) return;
      started = true;
      clearTimeout(timer);
      resolve({
        child,
        url: String(line.url),
        start: line,
        stdout: () => stdout,
        stderr: () => stderr,
        exited,
        stop(signal = 'SIGTERM', stopTimeoutMs = 15_000) {
          const sent = Date.now();
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return new Promise<Exit>((res, rej) => {
            const t = setTimeout(() => {
              child.kill('SIGKILL');
              rej(new Error(`no exit within ${stopTimeoutMs} ms of ${signal}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
            }, stopTimeoutMs);
            void exited.then(({ code, signal: s }) => {
              clearTimeout(t);
              res({ code, signal: s, ms: Date.now() - sent });
            });
          });
        },
      });
    });
  });
}

/** The first complete stdout line that is JSON with a `url` field. */
function findStartLine(stdout: string): Record<string, unknown> | undefined {
  for (const line of stdout.split('\n').slice(0, -1)) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.url === 'string') return parsed;
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}

/** Parsed JSON log lines of a process's stdout (non-JSON lines skipped). */
export function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, for at most `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
