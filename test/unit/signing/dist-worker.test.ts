/**
 * The compiled path: dist/src/signing/real-signer.js started by plain `node` must find
 * dist/src/signing/worker.js (no tsx). Runs when dist is built and not older than the sources
 * (`npm test` builds first); skipped otherwise.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const distDir = join(ROOT, 'dist', 'src', 'signing');
const srcDir = join(ROOT, 'src', 'signing');
function distFresh(): boolean {
  if (!existsSync(join(distDir, 'real-signer.js'))) return false;
  return readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts'))
    .every((f) => {
      const js = join(distDir, f.replace(/\.ts$/, '.js'));
      return existsSync(js) && statSync(js).mtimeMs >= statSync(join(srcDir, f)).mtimeMs;
    });
}

describe.skipIf(!distFresh())('compiled JS (dist) worker pool', () => {
  it('seals through sealing processes started from dist/src/signing/worker.js with plain node', () => {
    const script = `
      import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      import { loadOrCreatePki } from ${JSON.stringify(join(distDir, 'pki.js'))};
      import { createRealSigner } from ${JSON.stringify(join(distDir, 'real-signer.js'))};
      const dir = mkdtempSync(join(tmpdir(), 'sealsim-dist-'));
      const pki = await loadOrCreatePki({ dir, keyAlgorithm: 'ECDSA-P256' });
      const s = createRealSigner({ pki, threads: 2 });
      const process7 = { id: 7, name: 'p7m', operation: 'seal', format: 'CAdES', level: 'B-T', packaging: 'enveloping', acceptedFileTypes: ['*'], providerSettingsId: '1', tsaId: '1' };
      const process1 = { id: 1, name: 'pades', operation: 'seal', format: 'PAdES', level: 'B-T', packaging: 'enveloped', acceptedFileTypes: ['.pdf'], providerSettingsId: '1', tsaId: '1' };
      const pdf = readFileSync(${JSON.stringify(join(ROOT, 'fixtures', 'documents', 'invoice.pdf'))});
      const o = await Promise.all([
        s.processFile({ name: 'a.txt', bytes: Buffer.from('hello') }, { process: process7, now: new Date() }),
        s.processFile({ name: 'b.pdf', bytes: pdf }, { process: process1, now: new Date() }),
      ]);
      await s.close();
      rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify(o.map((x) => [x.success, x.detail, x.outputs.map((f) => f.name)])));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toMatch(/Error/);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as [boolean, string, string[]][];
    expect(res).toEqual([
      [true, 'CAdES-B-T enveloping (.p7m)', ['a.txt.p7m']],
      [true, 'PAdES-B-T (ETSI.CAdES.detached, incremental update)', ['b.pdf']],
    ]);
  }, 60_000);
});
