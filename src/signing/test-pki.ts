import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KeyAlgorithm, Pki } from './pki-material.js';
import type { RealSigner, RealSignerOptions } from './real-signer.js';
import type { Revocations } from './revocation.js';
import {
  type FileOutcome,
  type InputFile,
  type SignContext,
  type Signer,
  type StoredContext,
  type StoredFile,
  type StoredOptions,
  type StoredOutcome,
  stoppedOutcome,
} from './signer.js';
import type { Tsa } from './tsa.js';
import { PkiThread } from './pki-thread.js';

// The signing stack (x509, pdf-lib, xadesjs, pkijs) is imported on first use, not at start-up:
// it is a third of the process's start-up time and a simulator that is only polled never needs it.

export interface TestPkiOptions {
  dataDir: string;
  caCertPemPath: string | null;
  caKeyPemPath: string | null;
  keyAlgorithm: KeyAlgorithm;
  /** Base URL put in the certificates; null: the address the server binds (setBoundUrl). */
  publicUrl: string | null;
  /** The pki-cache-dir setting: '' for the per-user default, 'off' for none, or a directory. */
  cacheDir: string;
}

export interface LoadedTestPki {
  pki: Pki;
  tsa: Tsa;
  /** The CA's revocation state: CRL, OCSP, revoke/restore. */
  revocations: Revocations;
}

/**
 * Where keys are cached between runs: $XDG_CACHE_HOME/seal-simulator, else ~/.cache/seal-simulator;
 * null for 'off'.
 */
export function resolvePkiCacheDir(setting: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (setting === 'off') return null;
  if (setting !== '') return setting;
  const base =
    env.XDG_CACHE_HOME?.trim() ||
    (() => {
      try {
        return join(homedir(), '.cache');
      } catch {
        return '';
      }
    })();
  return base ? join(base, 'seal-simulator') : null;
}

class PkiClosed extends Error {}

/**
 * The simulator's test PKI, loaded (or made, into <data dir>/pki, from the per-user key cache) on
 * first use, in a thread of its own (pki-thread.ts). Start-up does not wait for it; the server
 * starts that thread while it builds the app (prepare) and has it load the PKI once it listens
 * (warmUp), so it is normally ready before the first batch or time-stamp request.
 */
export class TestPki {
  private loading: Promise<LoadedTestPki> | undefined;
  private thread: PkiThread | undefined;
  private boundUrl = 'http://127.0.0.1:8080';
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly opts: TestPkiOptions) {}

  /** The base URL the certificates name: the setting, else the address bound. */
  get publicUrl(): string {
    return (this.opts.publicUrl ?? this.boundUrl).replace(/\/+$/, '');
  }

  /** The server tells the address it listens on (before anything loads the PKI). */
  setBoundUrl(url: string): void {
    this.boundUrl = url;
  }

  private get dir(): string {
    return join(this.opts.dataDir, 'pki');
  }

  /**
   * Starts the thread that will load the PKI, so that its own start-up (a V8 instance, the PKI
   * modules) overlaps the server's; it loads when the first get() tells it the public URL.
   */
  prepare(): void {
    if (!this.closed && !this.loading && !this.thread) this.startThread();
  }

  private startThread(): PkiThread {
    return (this.thread = new PkiThread({
      dir: this.dir,
      caCertPemPath: this.opts.caCertPemPath ?? undefined,
      caKeyPemPath: this.opts.caKeyPemPath ?? undefined,
      keyAlgorithm: this.opts.keyAlgorithm,
      cacheDir: resolvePkiCacheDir(this.opts.cacheDir),
    }));
  }

  get(): Promise<LoadedTestPki> {
    if (this.closed) return Promise.reject(new PkiClosed('the simulator is closing'));
    this.loading ??= (async () => {
      // Made in a thread of its own: off the thread that answers the first requests.
      const thread = this.thread ?? this.startThread();
      const [{ createTsa }, { Revocations }] = await Promise.all([import('./tsa.js'), import('./revocation.js')]);
      const { pki, caKey } = await thread.load(this.publicUrl, this.abort.signal);
      this.abort.signal.throwIfAborted();
      // The thread wrote the revocation state; reading it back here is one small file.
      return { pki, tsa: createTsa(pki), revocations: await Revocations.open(pki, caKey, this.dir) };
    })();
    return this.loading;
  }

  /**
   * Starts loading now; a failure is logged unless the simulator is closing by then (closing right
   * after start interrupts the load, and that is not an error).
   */
  warmUp(log: { error(obj: unknown, msg: string): void }): void {
    this.get().catch((err: unknown) => {
      if (!this.closed) log.error({ err }, 'could not load or create the test PKI');
    });
  }

  /** No new loads; waits for one in progress so that nothing writes into the data dir after this. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort(new PkiClosed('the simulator is closing'));
    if (!this.loading) await this.thread?.discard();
    await this.loading?.catch(() => {});
  }
}

/**
 * The real signer, created once the test PKI is there. Its sealing processes need a second or more
 * to load the format modules (pdf-lib, xadesjs, pkijs); warmUp() starts them right after the server
 * listens. Files are never sealed on the main thread, not even before the processes are ready: one
 * hostile document there would stop the server for every tenant.
 */
export class LazyRealSigner implements Signer {
  readonly kind = 'real test PKI';
  private pool: Promise<RealSigner> | undefined;
  private closed = false;

  constructor(
    private readonly pki: TestPki,
    private readonly options: Omit<RealSignerOptions, 'pki' | 'revocation'>,
  ) {}

  private startPool(): Promise<RealSigner> {
    // The pool's modules load while the PKI does.
    this.pool ??= Promise.all([this.pki.get(), import('./real-signer.js')]).then(([{ pki, revocations }, { createRealSigner }]) => {
      const signer = createRealSigner({
        pki,
        ...this.options,
        // B-LT seals and validation read the CA's revocation state as it is when the file is sealed.
        revocation: (certs, now) => ({ crls: [revocations.currentCrlDer(now)], ocsps: certs.map((c) => revocations.ocspResponseFor(c, now)) }),
      });
      if (this.closed) return signer;
      signer.start();
      return signer;
    });
    return this.pool;
  }

  /** Loads the PKI and starts the sealing processes now (start-up calls this in the background). */
  warmUp(log: { error(obj: unknown, msg: string): void }): void {
    this.startPool().catch((err: unknown) => {
      if (!this.closed) log.error({ err }, 'could not start the sealing processes');
    });
  }

  async processFile(file: InputFile, ctx: SignContext, opts?: StoredOptions): Promise<FileOutcome> {
    const real = await this.poolUnlessStopped(opts?.signal);
    return real ? real.processFile(file, ctx, opts) : stoppedOutcome(file.name);
  }

  async processStored(file: StoredFile, ctx: StoredContext, opts?: StoredOptions): Promise<StoredOutcome> {
    const real = await this.poolUnlessStopped(opts?.signal);
    return real ? real.processStored(file, ctx, opts) : stoppedOutcome(file.name);
  }

  /** The first file may wait for the PKI to be generated (seconds): a stop must not wait for that. */
  private async poolUnlessStopped(signal: AbortSignal | undefined): Promise<Signer | undefined> {
    if (!signal) return this.startPool();
    if (signal.aborted) return undefined;
    let onAbort = (): void => {};
    const stopped = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.startPool(), stopped]);
    } finally {
      // The batch's signal outlives this file: a listener left on it per file would pile up.
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * A signer still waiting for its PKI has started no process yet: it is closed once it exists,
   * without making a shutdown wait for key generation.
   */
  async close(): Promise<void> {
    this.closed = true;
    const pending = this.pool?.catch(() => undefined);
    if (!pending) return;
    const ready = await Promise.race([pending, new Promise<undefined>((r) => setImmediate(() => r(undefined)))]);
    if (ready) await ready.close();
    else
      void pending.then(
        (s) => s?.close(),
        () => {},
      );
  }
}
