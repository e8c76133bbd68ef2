/**
 * Loading the test PKI in a worker thread of the server process:
 *
 *   const thread = new PkiThread(opts)          // started now: it loads its modules meanwhile
 *   await thread.load(publicUrl, signal)         // { pki, caKey }, as loadTestPki gives them
 *   await thread.discard()                       // when it is never asked to load
 *
 * A fresh server loads its PKI once it listens (the leaf certificates name the address bound).
 * Issuing and parsing the certificates is ~70 ms of cold code, and on the main thread it ran
 * interleaved with the first requests: a fresh server's first batch waited for both. In a thread
 * it runs on the second core while the main thread answers CreateBatch, upload and AcceptBatch.
 * The result crosses as a structured clone: KeyObjects and Dates arrive as themselves, Buffers as
 * Uint8Arrays (turned back into Buffers here).
 *
 * The thread holds the same directory locks as an in-thread load (pki.ts), with this process's
 * lock token, so two simulators of one process wait for each other rather than take each other's
 * lock for a dead run's. Aborting stops it between steps, like an in-thread load; the promise
 * settles only once the thread has ended, so nothing writes into the data directory after that.
 *
 * The entry is this module itself. From the TypeScript source (tests under vitest) the thread
 * first registers tsx, which a worker thread does not inherit from `--import tsx`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import type { CertInfo, Identity, Pki } from './pki-material.js';
import type { LoadOrCreatePkiOptions } from './pki.js';
import { adoptLockRun, lockRun } from './lock-run.js';

/** What the thread is started with; it is told the public URL (and so to load) with `LoadOrder`. */
interface ThreadData {
  pkiThread: true;
  options: Omit<LoadOrCreatePkiOptions, 'signal' | 'publicUrl'>;
  lockRun: string;
}

interface LoadOrder {
  publicUrl: string;
}

type ThreadAnswer = { loaded: { pki: Pki; caKey: KeyObject } } | { failed: unknown };

const ABORT = 'abort';

/**
 * A thread started now, which loads its modules at once and the PKI when `load` tells it the
 * public URL (known only once the server listens). Started while the server builds its app, the
 * thread's own start-up is done by then too.
 */
export class PkiThread {
  private readonly worker: Worker;
  private answer: ThreadAnswer | undefined;
  private crashed: unknown;
  private readonly ended: Promise<void>;
  private asked = false;

  constructor(options: ThreadData['options']) {
    this.worker = startThread({ pkiThread: true, options, lockRun: lockRun() });
    this.worker.on('message', (m: ThreadAnswer) => (this.answer = m));
    this.worker.on('error', (e) => (this.crashed = e));
    this.ended = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Waiting for its order, it keeps nothing alive: a server never asked to load (closed first) may end.
    this.worker.unref();
  }

  /**
   * Loads the PKI for `publicUrl`; settles once the thread has ended, also when `signal` was
   * aborted before the call (the thread is then told to end instead). Once only.
   */
  async load(publicUrl: string, signal: AbortSignal): Promise<{ pki: Pki; caKey: KeyObject }> {
    if (this.asked) throw new Error('a PKI thread loads once');
    this.asked = true;
    const onAbort = () => this.worker.postMessage(ABORT);
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      this.worker.postMessage({ publicUrl } satisfies LoadOrder);
    }
    try {
      await this.untilEnded();
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    signal.throwIfAborted();
    const answer = this.answer;
    if (answer && 'loaded' in answer) return { pki: revive(answer.loaded.pki), caKey: answer.loaded.caKey };
    throw answer ? answer.failed : (this.crashed ?? new Error('the PKI thread ended without an answer'));
  }

  /** Ends a thread that was never asked to load, and waits for it. */
  async discard(): Promise<void> {
    if (!this.asked) {
      this.asked = true;
      this.worker.postMessage(ABORT);
    }
    await this.untilEnded();
  }

  /** Someone waits for the thread now: it keeps the process alive until it has ended. */
  private untilEnded(): Promise<void> {
    this.worker.ref();
    return this.ended;
  }
}

function startThread(data: ThreadData): Worker {
  const self = import.meta.url;
  // None of the process's own node options: a thread inherits them by default, and those of a
  // process started as `node --input-type=module -e …` stop a thread's entry from loading.
  const options = { workerData: data, execArgv: [] };
  if (!self.endsWith('.ts')) return new Worker(new URL(self), options);
  // tsx's ESM entry (its CommonJS one cannot register from a worker): what `import 'tsx/esm/api'` resolves to.
  const tsxPackage = createRequire(self).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(tsxPackage, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const tsx = pathToFileURL(join(dirname(tsxPackage), exports['./esm/api']!.import.default)).href;
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/** The PKI as the thread made it, with its byte fields as Buffers again. */
function revive(pki: Pki): Pki {
  const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const seen = new Set<CertInfo>();
  const cert = (c: CertInfo): CertInfo => {
    if (!seen.has(c)) {
      seen.add(c); // the CA is shared by several identities (the clone keeps one object)
      c.der = buf(c.der);
      c.issuerNameDer = buf(c.issuerNameDer);
      c.subjectNameDer = buf(c.subjectNameDer);
      c.serialDer = buf(c.serialDer);
      c.sha256 = buf(c.sha256);
    }
    return c;
  };
  const identity = (i: Identity): Identity => ({ ...i, cert: cert(i.cert), issuer: cert(i.issuer) });
  return {
    ...pki,
    ca: cert(pki.ca),
    untrustedCa: cert(pki.untrustedCa),
    seal: identity(pki.seal),
    tsa: identity(pki.tsa),
    expiredSeal: identity(pki.expiredSeal),
    untrustedSeal: identity(pki.untrustedSeal),
    revokedSeal: identity(pki.revokedSeal),
    ocsp: identity(pki.ocsp),
    crlDer: buf(pki.crlDer),
  };
}

/** The thread's side: modules first, then the PKI once the order comes. */
async function runThread(data: ThreadData): Promise<void> {
  const port = parentPort!;
  const abort = new AbortController();
  const order = new Promise<LoadOrder | null>((resolve) => {
    port.on('message', (m: LoadOrder | typeof ABORT) => {
      if (m !== ABORT) return resolve(m);
      abort.abort(new Error('the simulator is closing'));
      resolve(null);
    });
  });
  try {
    adoptLockRun(data.lockRun);
    const { loadTestPki } = await import('./pki.js');
    const go = await order;
    if (go) {
      const { pki, caKey } = await loadTestPki({ ...data.options, publicUrl: go.publicUrl, signal: abort.signal });
      port.postMessage({ loaded: { pki, caKey } } satisfies ThreadAnswer);
    }
  } catch (e) {
    // Errors cross as name, message and stack; one that cannot be cloned at all still says why.
    try {
      port.postMessage({ failed: e } satisfies ThreadAnswer);
    } catch {
      port.postMessage({ failed: new Error(`the PKI thread failed: ${String(e)}`) } satisfies ThreadAnswer);
    }
  }
  port.close();
}

if (!isMainThread && (workerData as Partial<ThreadData> | null)?.pkiThread === true) void runThread(workerData as ThreadData);
