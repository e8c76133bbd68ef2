import { describe, expect, it } from 'vitest';
import { zipOf as makeZip } from '../../helpers/zip.js';
import yauzl from 'yauzl';
import { crc32 } from 'node:zlib';
import { corruptZip, dribble, sealFailFor, sealIdentityFor, statusHeaders, statusProblem, truncatedLength } from '../../../src/faults/effects.js';
import { FaultRegistry } from '../../../src/faults/fault-registry.js';

/** Reads every entry and checks its CRC; resolves with the error that stopped it, or null. */
function readAll(buf: Buffer): Promise<Error | null> {
  return new Promise((resolve) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return resolve(err ?? new Error('no zip'));
      zip.on('error', (e: Error) => resolve(e));
      zip.on('end', () => resolve(null));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return resolve(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('error', (se: Error) => resolve(se));
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            // yauzl does not check CRC-32; a real client's unzip does.
            if (crc32(Buffer.concat(chunks)) !== entry.crc32) return resolve(new Error(`CRC mismatch in ${entry.fileName}`));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

describe('effects', () => {
  it('truncatedLength never sends the whole body', () => {
    expect(truncatedLength(1000, { kind: 'truncate-download', fraction: 0.5 })).toBe(500);
    expect(truncatedLength(1000, { kind: 'truncate-download', bytes: 5000 })).toBe(999);
    expect(truncatedLength(0, { kind: 'truncate-package', fraction: 0.5 })).toBe(0);
  });

  it('statusProblem and headers', () => {
    expect(statusProblem({ kind: 'status', status: 503 }, 'status(503)#f1')).toMatchObject({
      status: 503,
      title: 'Service Unavailable',
      fault: 'status(503)#f1',
    });
    expect(statusHeaders({ kind: 'status', status: 429, retryAfter: 2 })).toEqual({ 'retry-after': '2' });
  });

  it('corruptZip breaks every seeded variant so a reader notices, and repeats by seed', async () => {
    const zip = await makeZip({ 'a.pdf': Buffer.alloc(5000, 'a'), 'b.xml': Buffer.from('<x>hello world</x>'.repeat(50)) });
    expect(await readAll(zip)).toBeNull();
    for (let seed = 0; seed < 25; seed++) {
      const r = new FaultRegistry({ seed });
      const fired = r.fireNow(r.add({ kind: 'corrupt-package' }))!;
      expect(fired.params.kind).toBe('corrupt-package');
      if (fired.params.kind !== 'corrupt-package') return;
      const bad = corruptZip(zip, fired.params);
      expect(bad.length).toBe(zip.length);
      expect(bad.equals(zip)).toBe(false);
      expect(await readAll(bad)).not.toBeNull();
      const again = new FaultRegistry({ seed });
      const p2 = again.fireNow(again.add({ kind: 'corrupt-package' }))!.params;
      if (p2.kind === 'corrupt-package') expect(corruptZip(zip, p2).equals(bad)).toBe(true);
    }
  });

  it('sealIdentityFor / sealFailFor apply per file or to every file', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'expired-cert' });
    r.add({ kind: 'untrusted-cert', fileName: 'b.pdf' });
    r.add({ kind: 'seal-fail', fileName: 'c.pdf' });
    const fired = r.takeAll({ tenant: 'public', route: 'AcceptBatch', batchId: 1, kinds: ['seal-fail', 'expired-cert', 'untrusted-cert'] });
    expect(sealIdentityFor(fired, 'a.pdf')).toBe('expired');
    expect(sealIdentityFor(fired, 'b.pdf')).toBe('untrusted');
    expect(sealIdentityFor([], 'a.pdf')).toBe('default');
    const r2 = new FaultRegistry({ seed: 1 });
    r2.add({ kind: 'expired-cert' });
    r2.add({ kind: 'revoked-cert', fileName: 'r.pdf' });
    const fired2 = r2.takeAll({ tenant: 'public', route: 'AcceptBatch', batchId: 1, kinds: ['expired-cert', 'revoked-cert'] });
    expect(sealIdentityFor(fired2, 'r.pdf')).toBe('revoked'); // revoked wins over expired
    expect(sealIdentityFor(fired2, 'a.pdf')).toBe('expired');
    expect(sealFailFor(fired, 'c.pdf')?.label).toBe('seal-fail(c.pdf)#f3');
    expect(sealFailFor(fired, 'a.pdf')).toBeUndefined();
  });

  it('dribble re-chunks with pauses', async () => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of dribble(Buffer.from('abcdefghij'), 3, 10)) chunks.push(c);
    expect(chunks.map(String)).toEqual(['abc', 'def', 'ghi', 'j']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    const ac = new AbortController();
    const got: string[] = [];
    for await (const c of dribble(Buffer.from('abcdef'), 1, 5, ac.signal)) {
      got.push(String(c));
      if (got.length === 2) ac.abort();
    }
    expect(got).toEqual(['a', 'b']);
  });
});
