/**
 * The real signer: PAdES / CAdES / XAdES seals and validation from the simulator's test PKI.
 *
 *   createRealSigner(opts: RealSignerOptions): RealSigner   // Signer + threads, warmup(), close()
 *
 * Every file is sealed in a pool of sealing processes (child processes running worker.ts; size
 * `threads`, default os.availableParallelism(); `threads: 0` runs in-process, without budgets, for
 * tests and scripts). Each process works on ONE file at a time under that file's budget:
 *
 * - time: `budget.timeMs` from the moment the process starts on the file;
 * - memory: `budget.memoryMiB` of resident memory (the whole process: V8 heap, Buffers and the
 *   ArrayBuffers a parser allocates), read from /proc/<pid>/statm every 100 ms on Linux, and the
 *   V8 heap capped at the same size (--max-old-space-size) everywhere.
 *
 * Over budget, the process is killed (SIGKILL: a parser stuck in a loop cannot delay it) and the
 * file fails with a reason that says which budget and which setting; a new process takes its place
 * for the next file. An AbortSignal kills the process working on that file the same way (a deleted
 * batch, a server stopping). Processes are unref'd while idle, so a forgotten close() does not
 * keep the server alive; close() kills them. Processes are started by sealing-process.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FileOutcome,
  failedOutcome,
  type InputFile,
  type SignContext,
  type Signer,
  type StoredContext,
  type StoredFile,
  type StoredOptions,
  type StoredOutcome,
  stoppedOutcome,
} from './signer.js';
import type { Pki } from './pki-material.js';
import { createTsa } from './tsa.js';
import { embedsValidationData, preloadFormats, processWith, revocationSubjects, type Engine, type RevocationData, type RevocationSource } from './engine.js';
import { siblingNamesFor } from './formats.js';
import { processStoredWith } from './stored-engine.js';
import { type EarlySealingProcess, forkSealingProcess } from './sealing-process.js';
import type { ValidationLimits } from './validate.js';
import type { InlineOutput, WorkerInit, WorkerOutcome, WorkerPreload, WorkerTask } from './worker.js';

export interface FileBudget {
  /** Wall time one file may take in its sealing process, in ms. */
  timeMs: number;
  /** Resident memory one sealing process may use while it works on a file, in MiB. */
  memoryMiB: number;
}

/** Defaults of SEAL_SIM_FILE_TIME_LIMIT_MS and SEAL_SIM_FILE_MEMORY_LIMIT_MIB. */
export const DEFAULT_FILE_BUDGET: FileBudget = Object.freeze({ timeMs: 30_000, memoryMiB: 512 });

/** Names of the settings, for the reasons a file fails with. */
export const BUDGET_SETTINGS = Object.freeze({ timeMs: 'SEAL_SIM_FILE_TIME_LIMIT_MS', memoryMiB: 'SEAL_SIM_FILE_MEMORY_LIMIT_MIB' });

export interface RealSignerOptions {
  pki: Pki;
  /** Sealing processes; default os.availableParallelism(); 0 = in-process (no budgets). */
  threads?: number;
  /** Limits of the validate process (default DEFAULT_VALIDATION_LIMITS). */
  validation?: ValidationLimits;
  /** Current CRLs / OCSP responses for B-LT seals (asked in this process, sent with the file). */
  revocation?: RevocationSource;
  budget?: Partial<FileBudget>;
  /** Directory for files handed to and made by the sealing processes (default: a new temporary one). */
  workDir?: string;
  /**
   * Processes kept started beyond `threads`, idle (default 0). With the caller sending at most
   * `threads` files at once, a process killed over its budget is replaced by one that has already
   * loaded the format modules, and the next file does not wait a second or more for a new one.
   */
  spare?: number;
  /** A process started before this pool (by the command line, while the server loaded): the first one used. */
  early?: EarlySealingProcess;
}

export interface RealSigner extends Signer {
  readonly threads: number;
  readonly budget: FileBudget;
  /**
   * Starts the sealing processes now and resolves once each has its PKI and has loaded the format modules
   * (≈1–3 s on a small box). Optional: files start processes on demand.
   */
  warmup(): Promise<void>;
  /** Starts the sealing processes now, without waiting for them; they load their modules as they would for a first file. */
  start(): void;
  close(): Promise<void>;
}

interface Proc {
  child: ChildProcess;
  /** Settles once the process has loaded its format modules, or died. */
  warm: Promise<void>;
  isReady: boolean;
  /** The format modules are loaded (they load in the background once the process starts). */
  loaded: boolean;
  task: Running | undefined;
  /** Last lines the process wrote to stderr (why it died, when it did). */
  stderr: string;
  dead: boolean;
}

interface Job {
  task: Omit<WorkerTask, 'id' | 'outDir'>;
  /** Inline tasks answer with bytes, the others with files (see WorkerTask.inline). */
  resolve: (o: WorkerOutcome) => void;
  signal: AbortSignal | undefined;
  /** This job's own abort listener (one per job: several files of a batch share one signal). */
  onAbort: () => void;
}

interface Running extends Job {
  id: number;
  timer: NodeJS.Timeout;
  started: number;
  peakRss: number;
}

/** /proc/<pid>/statm counts pages: 4 KiB on the platforms this runs on. */
const PAGE = 4096;
const HAS_PROC = existsSync('/proc/self/statm');
const MEMORY_POLL_MS = 100;

/** Resident bytes of a process, or undefined where /proc is not available. */
function rssOf(pid: number | undefined): number | undefined {
  if (!HAS_PROC || pid === undefined) return undefined;
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'latin1');
    return Number(statm.split(' ')[1]) * PAGE;
  } catch {
    return undefined;
  }
}

const MiB = 1024 * 1024;
/**
 * Extra time a file gets while its process is still loading the format modules (normally well
 * under a second; a loaded machine can take several). Once they are in, the file's own budget
 * starts again from zero.
 */
const MODULE_LOAD_GRACE_MS = 30_000;
/** Largest document (with its siblings) `processFile` hands to a sealing process in memory. */
const INLINE_MAX_BYTES = 8 * MiB;

export function createRealSigner(opts: RealSignerOptions): RealSigner {
  const threads = Math.max(0, Math.floor(opts.threads ?? availableParallelism()));
  const poolSize = threads === 0 ? 0 : threads + Math.max(0, Math.floor(opts.spare ?? 0));
  const budget: FileBudget = Object.freeze({ ...DEFAULT_FILE_BUDGET, ...opts.budget });
  const pki = opts.pki;
  let local: Engine | undefined;
  const validation = opts.validation;
  const env = (): Engine => (local ??= { pki, tsa: createTsa(pki), ...(validation ? { validation } : {}) });
  let ownWorkDir: string | undefined;
  let workDirMade = false;
  const workDir = (): string => {
    if (opts.workDir) {
      // Made once: the directory is the simulator's own, under its data directory.
      if (!workDirMade) mkdirSync(opts.workDir, { recursive: true });
      workDirMade = true;
      return opts.workDir;
    }
    return (ownWorkDir ??= mkdtempSync(join(tmpdir(), 'seal-simulator-work-')));
  };

  const procs: Proc[] = [];
  const waiting: Job[] = [];
  let nextId = 1;
  let closed = false;
  /** Set by the first file (or warmup): from then on the pool is kept full. */
  let used = false;
  /** Processes in a row that died before they were ready (a broken installation): stop replacing them. */
  let startFailures = 0;

  function spawn(): Proc {
    // The first process may have been started early, while the server started (sealing-process.ts).
    const early = opts.early?.take(budget.memoryMiB);
    const child = early?.child ?? forkSealingProcess(budget.memoryMiB);
    let markWarm: () => void = () => {};
    const proc: Proc = {
      child,
      isReady: false,
      loaded: false,
      task: undefined,
      stderr: early?.stderr ?? '',
      dead: false,
      warm: new Promise<void>((r) => (markWarm = r)),
    };
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      proc.stderr = (proc.stderr + d).slice(-2000);
    });
    child.on('message', (m: { id?: number; ready?: boolean; loaded?: boolean; outcome?: StoredOutcome; error?: string }) => {
      if (m.loaded) {
        proc.loaded = true;
        // A file sent before the modules were in starts its time budget now.
        if (proc.task) proc.task.started = Date.now();
        markWarm();
        dispatch();
        return;
      }
      if (m.ready) {
        proc.isReady = true;
        startFailures = 0;
        idle(proc);
        dispatch();
        return;
      }
      const t = proc.task;
      if (!t || t.id !== m.id) return;
      finish(proc, m.outcome ?? failedOutcome(t.task.file.name, `could not be processed: ${m.error ?? 'unknown error'}`));
      idle(proc);
      dispatch();
    });
    const onDeath = (why: string): void => {
      if (proc.dead) return;
      proc.dead = true;
      markWarm();
      if (!proc.isReady && !closed) {
        startFailures++;
        // It could not even start (a broken installation): fail the waiting files rather than
        // starting processes in a loop.
        for (const j of waiting.splice(0))
          j.resolve(failedOutcome(j.task.file.name, `the sealing process could not start (${why}): ${proc.stderr.trim().split('\n').slice(-3).join(' ')}`));
      }
      const i = procs.indexOf(proc);
      if (i >= 0) procs.splice(i, 1);
      const t = proc.task;
      if (t) {
        const heap = /heap limit|out of memory/i.test(proc.stderr);
        finish(
          proc,
          heap
            ? overMemory(t, budget.memoryMiB * MiB)
            : failedOutcome(t.task.file.name, `"${t.task.file.name}" could not be processed: its sealing process ended unexpectedly (${why})`, 'crash'),
        );
      }
      if (!closed) dispatch();
    };
    child.on('error', (e) => onDeath(e.message));
    child.on('exit', (code, signal) => onDeath(signal ? `signal ${signal}` : `exit code ${code}`));
    child.send({
      init: { material: pki.material, ...(validation ? { validation } : {}), ...(early ? { readyBeforeModules: true } : {}) },
    } satisfies WorkerInit);
    return proc;
  }

  function overMemory(t: Running, used: number): StoredOutcome {
    return failedOutcome(
      t.task.file.name,
      `"${t.task.file.name}" was stopped: processing it needed more than the ${budget.memoryMiB} MiB of memory one file may use (setting ${BUDGET_SETTINGS.memoryMiB}; ${Math.round(used / MiB)} MiB when it was stopped). The rest of the batch went on.`,
      'memory',
    );
  }

  /** Ends the file in hand with `outcome`; the process stays (answered) or is being killed. */
  function finish(proc: Proc, outcome: WorkerOutcome): void {
    const t = proc.task;
    if (!t) return;
    proc.task = undefined;
    clearInterval(t.timer);
    t.signal?.removeEventListener('abort', t.onAbort);
    t.resolve(outcome);
  }

  function kill(proc: Proc, outcome: WorkerOutcome): void {
    finish(proc, outcome);
    if (proc.dead) return;
    proc.dead = true;
    const i = procs.indexOf(proc);
    if (i >= 0) procs.splice(i, 1);
    proc.child.kill('SIGKILL');
  }

  function idle(proc: Proc): void {
    if (proc.task || proc.dead) return;
    proc.child.unref();
    (proc.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  function busy(proc: Proc): void {
    proc.child.ref();
    (proc.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  /** Stops one job: killed in its process, or taken out of the queue. */
  function abortJob(job: Job): void {
    const stopped = stoppedOutcome(job.task.file.name);
    const proc = procs.find((p) => p.task?.onAbort === job.onAbort);
    if (proc) {
      kill(proc, stopped);
      dispatch();
      return;
    }
    const i = waiting.indexOf(job);
    if (i >= 0) {
      waiting.splice(i, 1);
      job.resolve(stopped);
    }
  }

  /**
   * Hands waiting files to idle, ready processes. Once the pool is in use it keeps all its
   * processes started, and a killed one is replaced at once: a process takes a second or more to
   * load the format modules, and a file should find one ready rather than wait for that.
   */
  function dispatch(): void {
    // One process loads at a time: on a busy machine, several loading at once would all be slow
    // to take their first file; each new one is started when the one before has its modules.
    if (!closed && used && startFailures < 3 && procs.length < poolSize && procs.every((p) => p.loaded)) procs.push(spawn());
    while (!closed && waiting.length > 0) {
      const proc = procs.find((p) => p.isReady && !p.task && !p.dead);
      if (!proc) return;
      const job = waiting.shift()!;
      const id = nextId++;
      const started = Date.now();
      const running: Running = {
        ...job,
        id,
        started,
        peakRss: 0,
        timer: setInterval(() => check(proc), MEMORY_POLL_MS),
      };
      proc.task = running;
      busy(proc);
      try {
        proc.child.send({ ...job.task, id, outDir: workDir() } satisfies WorkerTask);
      } catch (e) {
        kill(proc, failedOutcome(job.task.file.name, `sealing process unavailable: ${(e as Error).message}`));
      }
    }
  }

  /** The budget check of the process in hand, every MEMORY_POLL_MS. */
  function check(proc: Proc): void {
    const t = proc.task;
    if (!t) return;
    const rss = rssOf(proc.child.pid);
    if (rss !== undefined && rss > t.peakRss) t.peakRss = rss;
    if (rss !== undefined && rss > budget.memoryMiB * MiB) {
      kill(proc, overMemory(t, rss));
      dispatch();
      return;
    }
    if (Date.now() - t.started > budget.timeMs + (proc.loaded ? 0 : MODULE_LOAD_GRACE_MS)) {
      kill(
        proc,
        failedOutcome(
          t.task.file.name,
          `"${t.task.file.name}" was stopped: processing it took longer than the ${budget.timeMs} ms one file may take (setting ${BUDGET_SETTINGS.timeMs}). The rest of the batch went on.`,
          'time',
        ),
      );
      dispatch();
    }
  }

  /** B-LT seals embed the current revocation data; validation judges against the current CRL. */
  function revocationFor(ctx: StoredContext | SignContext): RevocationData | undefined {
    // Asked here, in the server process, which holds the CA's revocation state.
    const wanted = embedsValidationData(ctx.process) ? revocationSubjects(pki, ctx.sealIdentity) : ctx.process.operation === 'validate' ? [] : null;
    return opts.revocation && wanted ? opts.revocation(wanted, ctx.now) : undefined;
  }

  /** Queues one task for the pool; settles with the process's answer or the reason it has none. */
  function submit(task: Job['task'], signal: AbortSignal | undefined): Promise<WorkerOutcome> {
    used = true;
    return new Promise<WorkerOutcome>((resolve) => {
      const job: Job = {
        task,
        resolve: (outcome) => {
          signal?.removeEventListener('abort', job.onAbort);
          resolve(outcome);
        },
        signal,
        onAbort: () => abortJob(job),
      };
      waiting.push(job);
      signal?.addEventListener('abort', job.onAbort, { once: true });
      dispatch();
    });
  }

  /** What every task carries besides its file: the process, the time, the identity, revocation data. */
  function taskBase(file: StoredFile, ctx: StoredContext | SignContext, revocation: RevocationData | undefined): Job['task'] {
    return {
      file,
      process: ctx.process,
      now: ctx.now.getTime(),
      ...(ctx.sealIdentity ? { sealIdentity: ctx.sealIdentity } : {}),
      ...(revocation ? { revocation } : {}),
    };
  }

  /** The partners a validated file is judged with (its data file or signature), as `get` has them. */
  function siblingsOf<T>(fileName: string, ctx: { process: StoredContext['process'] }, get: ((name: string) => T | undefined) | undefined): Record<string, T> {
    const out: Record<string, T> = {};
    if (ctx.process.operation !== 'validate' || !get) return out;
    for (const n of siblingNamesFor(fileName)) {
      const found = get(n);
      if (found !== undefined) out[n] = found;
    }
    return out;
  }

  async function processStored(file: StoredFile, ctx: StoredContext, o: StoredOptions = {}): Promise<StoredOutcome> {
    if (closed) return failedOutcome(file.name, 'the signer is closed');
    if (o.signal?.aborted) return stoppedOutcome(file.name);
    const revocation = revocationFor(ctx);
    if (threads === 0) return processStoredWith(env(), file, { ...ctx, ...(revocation ? { revocation } : {}) }, workDir());
    const paths = ctx.siblingPaths;
    const siblingPaths = siblingsOf(file.name, ctx, paths && ((n) => paths[n]));
    // A task with files answers with files.
    return (await submit({ ...taskBase(file, ctx, revocation), ...(Object.keys(siblingPaths).length ? { siblingPaths } : {}) }, o.signal)) as StoredOutcome;
  }

  /**
   * In memory (the batch worker's small files, tests, scripts): a document up to INLINE_MAX_BYTES
   * travels to its sealing process and back in the messages, as the caller holds its bytes anyway;
   * a larger one goes through files in the work directory, so that it is not copied whole through
   * the channel.
   */
  async function processFile(file: InputFile, ctx: SignContext, o: StoredOptions = {}): Promise<FileOutcome> {
    if (closed) return failedOutcome(file.name, 'the signer is closed');
    if (o.signal?.aborted) return stoppedOutcome(file.name);
    // In-process (tests, scripts): the bytes are here already.
    if (threads === 0) {
      const revocation = revocationFor(ctx);
      return processWith(env(), file, { ...ctx, ...(revocation ? { revocation } : {}) });
    }
    const siblings = siblingsOf(file.name, ctx, ctx.siblings);
    const size = file.bytes.length + Object.values(siblings).reduce((n, b) => n + b.length, 0);
    if (size > INLINE_MAX_BYTES) return processFileViaDisk(file, ctx, siblings, o);
    const inline = { bytes: file.bytes, ...(Object.keys(siblings).length ? { siblings } : {}) };
    const answer = await submit({ ...taskBase({ name: file.name, path: '' }, ctx, revocationFor(ctx)), inline }, o.signal);
    const outputs = (answer.outputs as InlineOutput[]).map((o) => ({
      name: o.name,
      bytes: o.bytes ? Buffer.from(o.bytes.buffer, o.bytes.byteOffset, o.bytes.byteLength) : file.bytes,
    }));
    return { ...answer, outputs };
  }

  async function processFileViaDisk(file: InputFile, ctx: SignContext, siblings: Record<string, Buffer>, o: StoredOptions): Promise<FileOutcome> {
    const dir = workDir();
    const temps: string[] = [];
    const put = async (bytes: Buffer): Promise<string> => {
      const path = join(dir, `in-${randomUUID()}`);
      temps.push(path);
      await writeFile(path, bytes);
      return path;
    };
    try {
      const input = { name: file.name, path: await put(file.bytes) };
      const siblingPaths: Record<string, string> = {};
      for (const [n, b] of Object.entries(siblings)) siblingPaths[n] = await put(b);
      const { siblings: _omit, ...rest } = ctx;
      const stored = await processStored(input, { ...rest, siblingPaths }, o);
      const outputs: InputFile[] = [];
      for (const out of stored.outputs) {
        outputs.push({ name: out.name, bytes: out.path === input.path ? file.bytes : await readFile(out.path) });
        if (out.path !== input.path) temps.push(out.path);
      }
      return { ...stored, outputs };
    } finally {
      await Promise.all(temps.map((p) => rm(p, { force: true })));
    }
  }

  return {
    kind: 'real test PKI',
    threads,
    budget,
    processFile,
    processStored,
    start() {
      if (closed || threads === 0) return;
      used = true;
      dispatch();
    },
    async warmup() {
      if (closed) return;
      if (threads === 0) {
        await preloadFormats();
        return;
      }
      used = true;
      dispatch();
      for (const p of procs) if (!p.loaded && !p.dead) p.child.send({ preload: true } satisfies WorkerPreload);
      while (!closed && startFailures < 3 && !(procs.length >= poolSize && procs.every((p) => p.loaded))) {
        await Promise.all(procs.map((p) => p.warm));
        dispatch();
      }
    },
    async close() {
      closed = true;
      opts.early?.discard();
      for (const j of waiting.splice(0)) j.resolve(failedOutcome(j.task.file.name, 'the signer was closed'));
      const all = procs.splice(0);
      const exits = all.map((p) =>
        p.dead || p.child.exitCode !== null || p.child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.child.once('exit', () => r())),
      );
      for (const p of all) {
        busy(p); // an idle process is unref'd: referenced again, the loop waits for its exit
        kill(p, failedOutcome(p.task?.task.file.name ?? '', 'the signer was closed'));
      }
      await Promise.all(exits);
      if (ownWorkDir) rmSync(ownWorkDir, { recursive: true, force: true });
    },
  };
}
