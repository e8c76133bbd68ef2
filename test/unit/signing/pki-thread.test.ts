/**
 * The PKI thread (src/signing/pki-thread.ts) ends whenever nobody will ask it for a PKI any more:
 * a load aborted before it was even asked for (a simulator closed while its first get() was still
 * importing modules) used to leave the thread waiting for an order for the life of the process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PkiThread } from '../../../src/signing/pki-thread.js';

const dir = mkdtempSync(join(tmpdir(), 'seal-pki-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Threads of this process, as the kernel counts them. */
const threads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
const options = (i: number) => ({ dir: join(dir, `pki-${i}`), keyAlgorithm: 'ECDSA-P256' as const, cacheDir: null });

describe.skipIf(process.platform !== 'linux')('a PKI thread', () => {
  it('ends when its load is aborted before it is asked, and when it is discarded', async () => {
    const before = threads();
    const aborted = AbortSignal.abort(new Error('closing'));
    const loads = [1, 2, 3].map((i) =>
      new PkiThread(options(i)).load('http://127.0.0.1:1', aborted).then(
        () => 'loaded',
        (e: Error) => e.message,
      ),
    );
    const discards = [4, 5].map((i) => new PkiThread(options(i)).discard().then(() => 'discarded'));
    expect(await Promise.all(loads)).toEqual(['closing', 'closing', 'closing']);
    expect(await Promise.all(discards)).toEqual(['discarded', 'discarded']);
    // Each settled only once its thread had ended; give the kernel a moment to reap them. One
    // thread of slack for the runtime starting one of its own meanwhile; the three loads left
    // waiting were three or more.
    await new Promise((r) => setTimeout(r, 200));
    expect(threads()).toBeLessThanOrEqual(before + 1);
  }, 30_000);

  it('loads the PKI it is asked for, with byte fields as Buffers', async () => {
    const { pki, caKey } = await new PkiThread(options(6)).load('http://127.0.0.1:8999', new AbortController().signal);
    expect(Buffer.isBuffer(pki.ca.der) && Buffer.isBuffer(pki.seal.cert.serialDer) && Buffer.isBuffer(pki.crlDer)).toBe(true);
    expect(pki.seal.issuer).toBe(pki.ca);
    expect(pki.publicUrl).toBe('http://127.0.0.1:8999');
    expect(caKey.asymmetricKeyType).toBe('ec');
  }, 30_000);
});
