/**
 * A process SIGKILLed while it holds the PKI lock (every start takes it to load the test PKI)
 * leaves `.pki.lock` behind. The next start must take over a lock whose owner is gone at once,
 * rather than wait for the lock to age before it can seal anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreatePki } from '../../src/signing/pki.js';

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
