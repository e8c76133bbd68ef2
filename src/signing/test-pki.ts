import { join } from 'node:path';
import type { Pki } from './pki-material.js';
import type { RealSigner, RealSignerOptions } from './real-signer.js';
import type { FileOutcome, InputFile, SignContext, Signer, StoredContext, StoredFile, StoredOptions, StoredOutcome } from './signer.js';
import type { Tsa } from './tsa.js';

// The signing stack (x509, pdf-lib, xadesjs, pkijs) is imported on first use, not at start-up:
// it is a third of the process's start-up time and a simulator that is only polled never needs it.

export interface TestPkiOptions {
  dataDir: string;
  caCertPemPath: string | null;
  caKeyPemPath: string | null;
  keyAlgorithm: 'RSA-2048' | 'ECDSA-P256';
}

/**
 * The simulator's test PKI, loaded (or generated, once, into <data dir>/pki) on first use. Start-up
 * does not wait for it — key generation can take a second — but the app starts loading it in the
 * background at once, so it is normally ready before the first batch or time-stamp request.
 */
export class TestPki {
  private loading: Promise<{ pki: Pki; tsa: Tsa }> | undefined;

  constructor(private readonly opts: TestPkiOptions) {}

  get(): Promise<{ pki: Pki; tsa: Tsa }> {
    this.loading ??= (async () => {
      const [{ loadOrCreatePki }, { createTsa }] = await Promise.all([import('./pki.js'), import('./tsa.js')]);
      const pki = await loadOrCreatePki({
        dir: join(this.opts.dataDir, 'pki'),
        caCertPemPath: this.opts.caCertPemPath ?? undefined,
        caKeyPemPath: this.opts.caKeyPemPath ?? undefined,
        keyAlgorithm: this.opts.keyAlgorithm,
      });
      return { pki, tsa: createTsa(pki) };
    })();
    return this.loading;
  }
}

/** The real signer, created once the test PKI is there; its sealing processes start with it. */
export class LazyRealSigner implements Signer {
  readonly kind = 'real test PKI';
  private signer: Promise<RealSigner> | undefined;

  constructor(
    private readonly pki: TestPki,
    private readonly options: Omit<RealSignerOptions, 'pki'>,
  ) {}

  private real(): Promise<RealSigner> {
    return (this.signer ??= this.pki.get().then(async ({ pki }) => (await import('./real-signer.js')).createRealSigner({ pki, ...this.options })));
  }

  async processFile(file: InputFile, ctx: SignContext): Promise<FileOutcome> {
    return (await this.real()).processFile(file, ctx);
  }

  async processStored(file: StoredFile, ctx: StoredContext, opts?: StoredOptions): Promise<StoredOutcome> {
    // The first file may wait for the PKI to be generated (seconds): a stop must not wait for that.
    const signal = opts?.signal;
    const stopped = signal && new Promise<undefined>((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', () => resolve(undefined), { once: true })));
    const real = await (stopped ? Promise.race([this.real(), stopped]) : this.real());
    if (!real) return { fileName: file.name, signed: false, success: false, detail: `work on "${file.name}" was stopped`, outputs: [] };
    return real.processStored(file, ctx, opts);
  }

  /**
   * A signer still waiting for its PKI has started no process yet: it is closed once it exists,
   * without making a shutdown wait for key generation.
   */
  async close(): Promise<void> {
    const pending = this.signer;
    if (!pending) return;
    const ready = await Promise.race([pending, new Promise<undefined>((r) => setImmediate(() => r(undefined)))]);
    if (ready) await ready.close();
    else void pending.then((s) => s.close(), () => {});
  }
}
