/**
 * The real signer: PAdES / CAdES / XAdES seals and validation from the simulator's test PKI.
 *
 *   createRealSigner(opts: { pki: Pki; threads?: number }): RealSigner   // Signer + threads, warmup(), close()
 *
 * Per-file work runs in a worker_threads pool (size `threads`, default
 * os.availableParallelism(); `threads: 0` runs in-process on the calling thread). Workers start on
 * the first file (or on warmup()) and get the PKI as PEM (keys are never regenerated). They are unref'd while idle,
 * so a forgotten close() does not keep the process alive; close() terminates them.
 *
 * The worker entry works from compiled JS (dist/src/signing/worker.js) and from the TypeScript
 * source (src/signing/worker.ts, started with `--import tsx`, e.g. under vitest).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { FileOutcome, InputFile, SignContext, Signer } from './signer.js';
import type { Pki } from './pki-material.js';
import { createTsa } from './tsa.js';
import { embedsValidationData, preloadFormats, processWith, revocationSubjects, type Engine, type RevocationSource } from './engine.js';
import { siblingNamesFor } from './formats.js';
import type { ValidationLimits } from './validate.js';
import type { WorkerTask } from './worker.js';

export interface RealSignerOptions {
  pki: Pki;
  /** Worker threads; default os.availableParallelism(); 0 = in-process. */
  threads?: number;
  /** Limits of the validate process (default DEFAULT_VALIDATION_LIMITS). */
  validation?: ValidationLimits;
  /** Current CRLs / OCSP responses for B-LT seals (asked in this thread, sent with the file). */
  revocation?: RevocationSource;
}

interface Slot {
  worker: Worker;
  inflight: number;
  ready: Promise<void>;
  isReady: boolean;
}

interface Pending {
  resolve: (o: FileOutcome) => void;
  slot: Slot;
  fileName: string;
}

/** Files handed to one worker at a time (the rest wait in the main thread's queue). */
const MAX_INFLIGHT = 2;

const toBuf = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function reviveOutcome(o: FileOutcome): FileOutcome {
  return { ...o, outputs: o.outputs.map((f) => ({ name: f.name, bytes: toBuf(f.bytes) })) };
}

/** The parent's node options minus those that only make sense for a main script (`--input-type` …). */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^--input-type(=|$)/.test(a)) {
      if (!a.includes('=')) i++;
      continue;
    }
    if (['-e', '--eval', '-p', '--print'].includes(a)) {
      i++;
      continue;
    }
    if (/^--(eval|print)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

function tsBootstrap(target: URL): string {
  const req = createRequire(import.meta.url);
  const api = pathToFileURL(req.resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  return (
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target.href)}); })` +
    `.catch((e) => { setImmediate(() => { throw e; }); });`
  );
}

export interface RealSigner extends Signer {
  readonly threads: number;
  /**
   * Starts the worker threads now and resolves once each has loaded the format modules
   * (≈1–3 s on a small box). Optional: processFile starts workers on demand.
   */
  warmup(): Promise<void>;
  close(): Promise<void>;
}

export function createRealSigner(opts: RealSignerOptions): RealSigner {
  const threads = Math.max(0, Math.floor(opts.threads ?? availableParallelism()));
  const pki = opts.pki;
  let local: Engine | undefined;
  const validation = opts.validation;
  const env = (): Engine => (local ??= { pki, tsa: createTsa(pki), ...(validation ? { validation } : {}) });

  const slots: Slot[] = [];
  const pending = new Map<number, Pending>();
  const waiting: { task: WorkerTask; transfer: ArrayBuffer[]; resolve: (o: FileOutcome) => void; fileName: string }[] = [];
  let nextId = 1;
  let closed = false;

  const here = import.meta.url;
  const fromTs = here.endsWith('.ts');
  const workerUrl = new URL(fromTs ? './worker.ts' : './worker.js', here);

  function failPendingOf(slot: Slot, why: string): void {
    for (const [id, p] of pending) {
      if (p.slot !== slot) continue;
      pending.delete(id);
      p.resolve({ fileName: p.fileName, signed: false, success: false, detail: `signing worker failed: ${why}`, outputs: [] });
    }
  }

  function spawn(): Slot {
    const worker = fromTs
      ? // From TypeScript source (vitest, tsx): `execArgv: ['--import', 'tsx']` is not honoured for
        // workers on Node 20, so a tiny eval'd bootstrap registers tsx's ESM hooks, then imports worker.ts.
        new Worker(tsBootstrap(workerUrl), { eval: true, workerData: { material: pki.material, validation }, execArgv: workerExecArgv() })
      : new Worker(workerUrl, { workerData: { material: pki.material, validation }, execArgv: workerExecArgv() });
    let markReady: () => void = () => {};
    const slot: Slot = { worker, inflight: 0, isReady: false, ready: new Promise<void>((r) => (markReady = r)) };
    // Referenced while starting (so an awaited warmup() keeps the process alive), unref'd when idle.
    worker.on('message', (m: { id: number; outcome?: FileOutcome; error?: string; ready?: boolean }) => {
      if (m.ready) {
        slot.isReady = true;
        markReady();
        if (slot.inflight === 0) worker.unref();
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      slot.inflight--;
      if (slot.inflight === 0 && slot.isReady) worker.unref();
      dispatch();
      p.resolve(
        m.outcome
          ? reviveOutcome(m.outcome)
          : { fileName: p.fileName, signed: false, success: false, detail: `could not be processed: ${m.error ?? 'unknown error'}`, outputs: [] },
      );
    });
    const onDeath = (why: string): void => {
      markReady();
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      failPendingOf(slot, why);
      dispatch();
    };
    worker.on('error', (e) => onDeath(e.message));
    worker.on('exit', (code) => {
      if (!closed) onDeath(`worker exited with code ${code}`);
    });
    return slot;
  }

  async function processFile(file: InputFile, ctx: SignContext): Promise<FileOutcome> {
    // B-LT seals embed the current revocation data; validation judges against the current CRL.
    const wanted = embedsValidationData(ctx.process) ? revocationSubjects(pki, ctx.sealIdentity) : ctx.process.operation === 'validate' ? [] : null;
    const revocation = opts.revocation && wanted ? opts.revocation(wanted, ctx.now) : undefined;
    if (threads === 0 || closed) {
      if (closed) return { fileName: file.name, signed: false, success: false, detail: 'the signer is closed', outputs: [] };
      return processWith(env(), file, { ...ctx, ...(revocation ? { revocation } : {}) });
    }
    // Tight copies, transferred: structured-cloning a Buffer that is a view into a larger
    // ArrayBuffer (a ZIP entry slice, Node's buffer pool) would copy the whole backing store.
    const transfer: ArrayBuffer[] = [];
    const tight = (b: Uint8Array): Uint8Array => {
      const c = new Uint8Array(b);
      transfer.push(c.buffer as ArrayBuffer);
      return c;
    };
    const siblings: Record<string, Uint8Array> = {};
    if (ctx.process.operation === 'validate' && ctx.siblings) {
      for (const n of siblingNamesFor(file.name)) {
        const b = ctx.siblings(n);
        if (b) siblings[n] = tight(b);
      }
    }
    const task: WorkerTask = {
      id: nextId++,
      file: { name: file.name, bytes: tight(file.bytes) },
      process: ctx.process,
      now: ctx.now.getTime(),
      ...(ctx.sealIdentity ? { sealIdentity: ctx.sealIdentity } : {}),
      ...(Object.keys(siblings).length ? { siblings } : {}),
      ...(revocation ? { revocation } : {}),
    };
    return new Promise<FileOutcome>((resolve) => {
      waiting.push({ task, transfer, resolve, fileName: file.name });
      dispatch();
    });
  }

  /**
   * Hands queued files to workers, at most MAX_INFLIGHT each: a short pipeline keeps every core
   * busy without piling a whole batch (and its memory) into one worker's event loop.
   */
  function dispatch(): void {
    while (waiting.length > 0 && !closed) {
      while (slots.length < threads) slots.push(spawn());
      let best: Slot | undefined;
      for (const s of slots) if (s.inflight < MAX_INFLIGHT && (!best || s.inflight < best.inflight)) best = s;
      if (!best) return;
      const w = waiting.shift()!;
      try {
        pending.set(w.task.id, { resolve: w.resolve, slot: best, fileName: w.fileName });
        best.inflight++;
        best.worker.ref();
        best.worker.postMessage(w.task, w.transfer);
      } catch (e) {
        pending.delete(w.task.id);
        best.inflight--;
        w.resolve({ fileName: w.fileName, signed: false, success: false, detail: `signing worker unavailable: ${(e as Error).message}`, outputs: [] });
      }
    }
  }

  return {
    kind: 'real test PKI',
    threads,
    processFile,
    async warmup() {
      if (closed) return;
      if (threads === 0) {
        await preloadFormats();
        return;
      }
      while (slots.length < threads) slots.push(spawn());
      await Promise.all(slots.map((s) => s.ready));
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0))
        w.resolve({ fileName: w.fileName, signed: false, success: false, detail: 'the signer was closed', outputs: [] });
      const all = slots.splice(0);
      for (const s of all) failPendingOf(s, 'the signer was closed');
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}
