/**
 * A process SIGKILLed while it holds the PKI lock (every start takes it to load the test PKI)
 * leaves `.pki.lock` behind. The next start must take over a lock whose owner is gone at once,
 * rather than wait for the lock to age before it can seal anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockRun } from '../../src/signing/lock-run.js';
import { cacheFolder, loadOrCreatePki } from '../../src/signing/pki.js';
import { TestPki } from '../../src/signing/test-pki.js';

const dir = mkdtempSync(join(tmpdir(), 'seal-pki-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the PKI lock after a crash', () => {
  it('a lock left by a dead process is taken over at once, not after 60 s', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    const pkiDir = join(dir, 'pki');
    mkdirSync(join(pkiDir, '.pki.lock'), { recursive: true });
    writeFileSync(join(pkiDir, '.pki.lock', 'owner'), JSON.stringify({ host: hostname(), pid: dead, run: 'an earlier run' }));
    const started = Date.now();
    const pki = await loadOrCreatePki({ dir: pkiDir });
    expect(pki).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 40_000);

  it('a lock from an earlier run with our own pid (a restarted container is pid 1 again) is taken over too', async () => {
    const pkiDir = join(dir, 'pki');
    mkdirSync(join(pkiDir, '.pki.lock'), { recursive: true });
    writeFileSync(join(pkiDir, '.pki.lock', 'owner'), JSON.stringify({ host: hostname(), pid: process.pid, run: 'an earlier run' }));
    const started = Date.now();
    await loadOrCreatePki({ dir: pkiDir });
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 40_000);
});

describe('the PKI lock between simulators of one process', () => {
  it('PKI threads of one process share its lock token: simulators filling one key cache together end with one CA', async () => {
    // Each TestPki loads in a thread of its own (pki-thread.ts). A thread with a token of its own
    // would take another thread's lock on the cache for a dead run's (same pid, other token), and
    // the simulators could each fill the cache with their own CA. RSA keys take long enough to
    // generate that the lock is seen while it is held: its owner must be this process's run.
    const cache = join(dir, 'shared-cache');
    const owner = join(cacheFolder(cache, 'RSA-2048'), '.pki.lock', 'owner');
    const owners = new Set<string>();
    const watch = setInterval(() => {
      try {
        owners.add((JSON.parse(readFileSync(owner, 'utf8')) as { run: string }).run);
      } catch {
        // not held, or being written
      }
    }, 2);
    const pkis = [1, 2, 3].map(
      (i) =>
        new TestPki({
          dataDir: join(dir, `sim-${i}`),
          caCertPemPath: null,
          caKeyPemPath: null,
          keyAlgorithm: 'RSA-2048',
          publicUrl: `http://127.0.0.1:${9000 + i}`,
          cacheDir: cache,
        }),
    );
    try {
      const loaded = await Promise.all(pkis.map((p) => p.get()));
      const cas = new Set(loaded.map((l) => l.pki.ca.sha256.toString('hex')));
      expect(cas.size).toBe(1);
      expect(loaded.map((l) => l.pki.seal.cert.issuer)).toEqual(loaded.map(() => loaded[0]!.pki.ca.subject));
      expect([...owners]).toEqual([lockRun()]);
    } finally {
      clearInterval(watch);
      await Promise.all(pkis.map((p) => p.close()));
    }
  }, 60_000);
});
