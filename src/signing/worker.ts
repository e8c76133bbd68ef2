/**
 * Entry of one sealing process (a child process of the server; see real-signer.ts). Receives the
 * PKI as PEM material in its first message (never regenerates keys, never reads it from the
 * environment), then one file at a time; answers each with its outcome, outputs written to files.
 *
 * A separate process, not a worker thread, so that the server can bound what one document costs:
 * it measures this process's resident memory from outside and kills it, with whatever the document
 * made it allocate (parsers' Buffers and ArrayBuffers are outside any V8 heap limit), and a hung
 * parser cannot delay the server's shutdown.
 */
import { Worker } from 'node:worker_threads';
import { pkiFromMaterial, type PkiMaterial } from './pki-material.js';
import { createTsa } from './tsa.js';
import { FORMAT_LOADERS, processWith, type Engine, type EngineContext } from './engine.js';
import { processStoredWith } from './stored-engine.js';
import type { ProcessDef } from '../domain/process.js';
import type { FileOutcome, SignContext, StoredFile } from './signer.js';
import type { ValidationLimits } from './validate.js';

export interface WorkerInit {
  init: {
    material: PkiMaterial;
    validation?: ValidationLimits;
    /** Say ready once the PKI is in, and load the format modules after (the early process, see below). */
    readyBeforeModules?: boolean;
  };
}

/** Load the format modules now (the pool's warm-up). */
export interface WorkerPreload {
  preload: true;
}

export interface WorkerTask {
  id: number;
  file: StoredFile;
  process: ProcessDef;
  now: number;
  sealIdentity?: SignContext['sealIdentity'];
  siblingPaths?: Record<string, string>;
  /** Current revocation data (DER), fetched on the main process (B-LT seals, validation). */
  revocation?: { crls: Uint8Array[]; ocsps: Uint8Array[] };
  /** Directory for the output files. */
  outDir: string;
  /**
   * The document itself, for a small one handed over in memory (`processFile`): sealed without
   * touching the disk, outputs sent back in the answer. `file.path` is then unused.
   */
  inline?: { bytes: Uint8Array; siblings?: Record<string, Uint8Array> };
}

/** An output sent back in the answer to an inline task: its bytes, or none for the input itself. */
export interface InlineOutput {
  name: string;
  bytes?: Uint8Array;
}

/** What a sealing process answers for one task. */
export type WorkerOutcome = FileOutcome<StoredFile | InlineOutput>;

/**
 * A parser stuck in a synchronous loop never returns to the event loop, so this process would not
 * notice its parent dying (SIGKILL leaves no time to kill children). A small thread of its own
 * checks the parent every half second and ends the process once it is orphaned.
 */
function watchParent(): void {
  const parent = process.ppid;
  const code = `
    setInterval(() => { if (process.ppid !== ${parent}) process.kill(process.pid, 'SIGKILL'); }, 500);
  `;
  const w = new Worker(code, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } });
  w.unref();
}

/** Seals a document handed over in memory; outputs go back in the answer, the input itself by name only. */
async function inlineWork(env: Engine, name: string, inline: NonNullable<WorkerTask['inline']>, ctx: Omit<EngineContext, 'siblings'>): Promise<WorkerOutcome> {
  const bytes = u8(inline.bytes);
  const sibs = inline.siblings;
  const outcome = await processWith(env, { name, bytes }, { ...ctx, ...(sibs ? { siblings: (n: string) => (sibs[n] ? u8(sibs[n]) : undefined) } : {}) });
  return { ...outcome, outputs: outcome.outputs.map((o) => (o.bytes === bytes ? { name: o.name } : { name: o.name, bytes: o.bytes })) };
}

/** How long a process with its PKI waits for a first file before loading the other format modules. */
const IDLE_BEFORE_LOADING_MS = 1_000;

/** A Buffer view of bytes that came through the IPC channel (structured clone gives Uint8Array). */
const u8 = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

if (process.send) {
  const send = process.send.bind(process);
  watchParent();
  process.on('disconnect', () => process.exit(0));
  // The format modules (pdf-lib, xadesjs, the validator) are most of a process's start-up. The PDF
  // module loads from the first moment, before the PKI arrives. A process the pool starts while it
  // is in use loads the rest before it says it is ready, as files are best sent to one that has
  // them. The process started early, for the first files of a fresh server (sealing-process.ts), is
  // ready as soon as it has the PKI instead: a module's evaluation cannot be interrupted, so a file
  // arriving while one loads would wait for it; the rest load once it has sealed its first file,
  // been idle for a while, or the pool asks (warm-up). A file that needs a module not loaded yet
  // loads it itself (engine.ts imports on first use). The pool is told when all are in, so that
  // loading them, once per process, does not count against a file's time budget.
  const [first, ...rest] = FORMAT_LOADERS;
  const firstLoaded = first!().catch(() => {});
  let inHand = 0;
  let rested: Promise<void> | undefined;
  const loadRest = (): Promise<void> =>
    (rested ??= (async () => {
      await firstLoaded;
      for (const load of rest) {
        await new Promise<void>((r) => setImmediate(r)); // a file that arrived meanwhile starts first
        await load().catch(() => {});
      }
      send({ loaded: true });
    })());
  const loadRestWhenIdle = (): void => {
    if (inHand === 0) void loadRest();
  };
  let env: Engine | undefined;
  process.on('message', (m: WorkerInit | WorkerTask | WorkerPreload) => {
    if ('preload' in m) {
      void loadRest();
      return;
    }
    if ('init' in m) {
      const pki = pkiFromMaterial(m.init.material);
      const validation = m.init.validation;
      env = { pki, tsa: createTsa(pki), ...(validation ? { validation } : {}) };
      if (m.init.readyBeforeModules) {
        send({ ready: true });
        setTimeout(loadRestWhenIdle, IDLE_BEFORE_LOADING_MS);
      } else void loadRest().then(() => send({ ready: true }));
      return;
    }
    const t = m;
    if (!env) {
      send({ id: t.id, error: 'the sealing process got a file before its PKI' });
      return;
    }
    inHand++;
    const common = {
      process: t.process,
      now: new Date(t.now),
      ...(t.sealIdentity ? { sealIdentity: t.sealIdentity } : {}),
      ...(t.revocation ? { revocation: { crls: t.revocation.crls.map(u8), ocsps: t.revocation.ocsps.map(u8) } } : {}),
    };
    void (
      t.inline
        ? inlineWork(env, t.file.name, t.inline, common)
        : processStoredWith(env, t.file, { ...common, ...(t.siblingPaths ? { siblingPaths: t.siblingPaths } : {}) }, t.outDir)
    )
      .then(
        (outcome) => send({ id: t.id, outcome }),
        (e: unknown) => send({ id: t.id, error: (e as Error)?.message ?? String(e) }),
      )
      .finally(() => {
        inHand--;
        loadRestWhenIdle();
      });
  });
}
