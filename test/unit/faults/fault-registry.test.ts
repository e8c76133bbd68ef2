import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOMAIN_ROUTE } from '../../../src/faults/fault-spec.js';
import { FaultRegistry, loadFaultsFile, type FaultMatch } from '../../../src/faults/fault-registry.js';
import { deriveSeed, Prng } from '../../../src/faults/prng.js';

const A = 't-aaaaaaaaaaaa';
const B = 't-bbbbbbbbbbbb';
const http = (tenant: string, route = 'BatchStatus', batchId?: number): FaultMatch => ({
  tenant,
  route,
  ...(batchId !== undefined && { batchId }),
  kinds: ['latency', 'status', 'reset', 'empty', 'dribble'],
});

describe('FaultRegistry: add, list, remove, clear', () => {
  it('gives ids, seeds and remaining counts', () => {
    const r = new FaultRegistry({ seed: 42 });
    const f = r.add({ kind: 'status', status: 503, count: 2 });
    expect(f).toMatchObject({ id: 'f1', seed: deriveSeed(42, 'f1'), remaining: 2, fired: 0, route: '*' });
    expect(r.add({ kind: 'reset', id: 'mine', seed: 9 })).toMatchObject({ id: 'mine', seed: 9, remaining: 1 });
    expect(r.add({ kind: 'reset', probability: 0.5 })).toMatchObject({ id: 'f2', remaining: null });
    expect(() => r.add({ kind: 'reset', id: 'mine' })).toThrow(/already exists/);
    expect(() => r.add({ kind: 'nope' })).toThrow(/kind must be one of/);
  });

  it('skips generated ids that were given explicitly', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'reset', id: 'f1' });
    expect(r.add({ kind: 'reset' }).id).toBe('f2');
  });

  it('lists per tenant (own and global), removes and clears per tenant', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'reset', tenant: A, id: 'a' });
    r.add({ kind: 'reset', tenant: B, id: 'b' });
    r.add({ kind: 'reset', id: 'g' });
    expect(r.list().map((f) => f.id)).toEqual(['a', 'b', 'g']);
    expect(r.list(A).map((f) => f.id)).toEqual(['a', 'g']);
    expect(r.remove('b', A)).toBe(false);
    expect(r.remove('g', A)).toBe(false);
    expect(r.remove('a', A)).toBe(true);
    expect(r.remove('a')).toBe(false);
    r.add({ kind: 'reset', tenant: A, id: 'a2' });
    expect(r.clear(A)).toBe(1);
    expect(r.list().map((f) => f.id)).toEqual(['b', 'g']);
    expect(r.clear()).toBe(2);
    expect(r.size).toBe(0);
  });

  it('snapshots cannot change the stored fault', () => {
    const r = new FaultRegistry({ seed: 1 });
    const f = r.add({ kind: 'reset', count: 2 });
    f.remaining = 99;
    expect(r.get(f.id)?.remaining).toBe(2);
  });

  it('refuses more than maxFaults', () => {
    const r = new FaultRegistry({ seed: 1, maxFaults: 2 });
    r.add({ kind: 'reset' });
    r.add({ kind: 'reset' });
    expect(() => r.add({ kind: 'reset' })).toThrow(/already 2 active faults/);
  });
});

describe('FaultRegistry.take', () => {
  it('is tenant-scoped: a fault for A never fires for B; a global one fires for both', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'status', status: 500, tenant: A, count: 10 });
    for (let i = 0; i < 5; i++) expect(r.take(http(B))).toBeNull();
    expect(r.take(http(A))?.params).toEqual({ kind: 'status', status: 500 });
    r.add({ kind: 'reset' });
    expect(r.take({ ...http(B) })?.params.kind).toBe('reset');
  });

  it('counts down and removes exhausted faults', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'status', status: 503, count: 3 });
    const fired = [r.take(http(A)), r.take(http(A)), r.take(http(A))];
    expect(fired.map((f) => f?.fault.remaining)).toEqual([2, 1, 0]);
    expect(fired[0]?.label).toBe('status(503)#f1');
    expect(r.take(http(A))).toBeNull();
    expect(r.size).toBe(0);
  });

  it('matches route, kind and batch id', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'reset', route: 'upload', batchId: 7, count: 5 });
    expect(r.take(http(A, 'BatchStatus', 7))).toBeNull();
    expect(r.take(http(A, 'upload', 8))).toBeNull();
    expect(r.take(http(A, 'upload'))).toBeNull();
    expect(r.take({ ...http(A, 'upload', 7), kinds: ['latency'] })).toBeNull();
    expect(r.take(http(A, 'upload', 7))?.label).toBe('reset#f1');
  });

  it('picks the first fault added among several kinds', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'empty', id: 'e' });
    r.add({ kind: 'reset', id: 'r' });
    expect(r.take(http(A))?.fault.id).toBe('e');
    expect(r.take(http(A))?.fault.id).toBe('r');
  });

  it("orders a tenant's own and global faults by when they were added", () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'reset', id: 'g1' });
    r.add({ kind: 'reset', tenant: A, id: 'a1' });
    r.add({ kind: 'reset', id: 'g2' });
    for (let i = 0; i < 50; i++) r.add({ kind: 'reset', tenant: `t-${String(i).padStart(12, '0')}` });
    expect([r.take(http(A)), r.take(http(A)), r.take(http(A))].map((f) => f?.fault.id)).toEqual(['g1', 'a1', 'g2']);
    expect(r.take(http(A))).toBeNull();
  });

  it('matches file names for domain faults, per file or per batch', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'seal-fail', fileName: 'a.pdf', batchId: 3, id: 'sa' });
    const q = (fileName?: string): FaultMatch => ({ tenant: A, route: DOMAIN_ROUTE, batchId: 3, ...(fileName && { fileName }), kinds: ['seal-fail'] });
    expect(r.take(q('b.pdf'))).toBeNull();
    expect(r.take(q('a.pdf'))?.params).toEqual({ kind: 'seal-fail', fileName: 'a.pdf' });
    r.add({ kind: 'seal-fail', fileName: 'a.pdf', batchId: 3, id: 'sb' });
    expect(r.take(q())?.label).toBe('seal-fail(a.pdf)#sb'); // batch-level query: fault names its file
  });

  it('takeAll fires each matching fault once (a batch-level query)', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'seal-fail', fileName: 'a.pdf', id: 'a' });
    r.add({ kind: 'untrusted-cert', fileName: 'b.pdf', id: 'b' });
    r.add({ kind: 'seal-fail', count: 2, id: 'all' });
    r.add({ kind: 'seal-fail', tenant: B, id: 'other' });
    const fired = r.takeAll({ tenant: A, route: DOMAIN_ROUTE, batchId: 1, kinds: ['seal-fail', 'expired-cert', 'untrusted-cert'] });
    expect(fired.map((f) => f.label)).toEqual(['seal-fail(a.pdf)#a', 'untrusted-cert(b.pdf)#b', 'seal-fail#all']);
    expect(fired[1]?.params).toEqual({ kind: 'untrusted-cert', fileName: 'b.pdf', sealIdentity: 'untrusted' });
    expect(r.list().map((f) => [f.id, f.remaining])).toEqual([
      ['all', 1],
      ['other', 1],
    ]);
  });

  it('matches stall faults on the status the batch enters', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'stall', status: 'IN_PROGRESS', durationMs: 5000 });
    const q = (status: string): FaultMatch => ({ tenant: A, route: DOMAIN_ROUTE, batchId: 1, status, kinds: ['stall'] });
    expect(r.has(q('READY'))).toBe(false);
    expect(r.take(q('READY'))).toBeNull();
    expect(r.has(q('IN_PROGRESS'))).toBe(true);
    expect(r.take(q('IN_PROGRESS'))?.label).toBe('stall(IN_PROGRESS+5000ms)#f1');
  });

  it('a domain fault does not fire on an HTTP route query', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'seal-fail', route: 'AcceptBatch' });
    expect(r.take({ tenant: A, route: 'BatchStatus', kinds: ['seal-fail'] })).toBeNull();
    expect(r.take({ tenant: A, route: 'AcceptBatch', kinds: ['latency', 'status'] })).toBeNull();
  });

  it('labels', () => {
    const r = new FaultRegistry({ seed: 1 });
    const labels = [
      { kind: 'latency', ms: 1200, id: 'f3' },
      { kind: 'dribble', chunkBytes: 16, intervalMs: 50, id: 'd' },
      { kind: 'truncate-download', fraction: 0.25, id: 't' },
      { kind: 'truncate-package', bytes: 10, id: 'tp' },
      { kind: 'expire', afterMs: 60000, id: 'x' },
      { kind: 'corrupt-package', flips: 3, id: 'c' },
    ].map((spec) => r.fireNow(r.add(spec))?.label);
    expect(labels).toEqual([
      'latency(1200ms)#f3',
      'dribble(16B/50ms)#d',
      'truncate-download(25%)#t',
      'truncate-package(10B)#tp',
      'expire(60000ms)#x',
      'corrupt-package(3)#c',
    ]);
  });
});

describe('seeded randomness', () => {
  const run = (registrySeed: number, calls = 300) => {
    const r = new FaultRegistry({ seed: registrySeed });
    r.add({ kind: 'status', status: 503, probability: 0.3, route: 'BatchStatus' });
    r.add({ kind: 'latency', minMs: 10, maxMs: 2000, probability: 0.5 });
    const out: string[] = [];
    for (let i = 0; i < calls; i++) {
      const tenant = i % 3 === 0 ? B : A;
      const route = i % 2 === 0 ? 'BatchStatus' : 'upload';
      const s = r.take({ tenant, route, kinds: ['status'] });
      const l = r.take({ tenant, route, kinds: ['latency'] });
      out.push(`${s?.label ?? '-'} ${l?.label ?? '-'}`);
    }
    return out;
  };

  it('two registries with the same seed fire on exactly the same calls', () => {
    const a = run(1234);
    expect(run(1234)).toEqual(a);
    expect(a.filter((x) => x.startsWith('status')).length).toBeGreaterThan(20);
    expect(run(4321)).not.toEqual(a);
  });

  it('latency range draws repeat and stay in range', () => {
    const draws = (seed: number) => {
      const r = new FaultRegistry({ seed: 0 });
      r.add({ kind: 'latency', minMs: 100, maxMs: 200, count: 1000, seed });
      return Array.from({ length: 1000 }, () => {
        const f = r.take(http(A));
        return f?.params.kind === 'latency' ? f.params.ms : -1;
      });
    };
    const a = draws(77);
    expect(draws(77)).toEqual(a);
    expect(Math.min(...a)).toBe(100);
    expect(Math.max(...a)).toBe(200);
  });

  it("a fault's stream is its own: other faults and tenants do not shift it", () => {
    const fires = (noise: boolean) => {
      const r = new FaultRegistry({ seed: 5 });
      r.add({ kind: 'reset', probability: 0.4, tenant: A, id: 'x' });
      if (noise) r.add({ kind: 'empty', probability: 0.5, tenant: B, id: 'y' });
      const out: boolean[] = [];
      for (let i = 0; i < 200; i++) {
        if (noise) r.take({ tenant: B, route: 'upload', kinds: ['empty'] });
        out.push(r.take({ tenant: A, route: 'upload', kinds: ['reset'] }) !== null);
      }
      return out;
    };
    expect(fires(true)).toEqual(fires(false));
  });

  it('probability with count stops after count firings; the seed is reported', () => {
    const r = new FaultRegistry({ seed: 99 });
    const f = r.add({ kind: 'reset', probability: 0.5, count: 3 });
    let fired = 0;
    for (let i = 0; i < 100; i++) if (r.take(http(A))) fired++;
    expect(fired).toBe(3);
    expect(f.seed).toBe(deriveSeed(99, 'f1'));
  });

  it('a random registry seed is reported, and replays with it', () => {
    const r1 = new FaultRegistry();
    const r2 = new FaultRegistry({ seed: r1.seed });
    expect(r2.add({ kind: 'reset' }).seed).toBe(r1.add({ kind: 'reset' }).seed);
  });

  it('Prng is mulberry32-deterministic and in [0,1)', () => {
    const a = new Prng(1);
    const b = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});

describe('loadFaultsFile', () => {
  it('reads a JSON array and names bad entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    try {
      const good = join(dir, 'good.json');
      writeFileSync(
        good,
        JSON.stringify([
          { kind: 'reset', route: 'upload' },
          { kind: 'latency', ms: 5 },
        ]),
      );
      expect(loadFaultsFile(good).map((f) => f.kind)).toEqual(['reset', 'latency']);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify([{ kind: 'reset' }, { kind: 'status' }]));
      expect(() => loadFaultsFile(bad)).toThrow(/bad\.json: faults\[1\]\.status is required/);
      const notJson = join(dir, 'x.json');
      writeFileSync(notJson, '[{');
      expect(() => loadFaultsFile(notJson)).toThrow(/not valid JSON/);
      expect(() => loadFaultsFile(join(dir, 'missing.json'))).toThrow(/Cannot read the faults file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('replay', () => {
  it('a listed fault posted to a fresh registry fires the same way', () => {
    const r1 = new FaultRegistry();
    r1.add({ kind: 'latency', minMs: 0, maxMs: 5000, probability: 0.5 });
    const listed = JSON.parse(JSON.stringify(r1.list()));
    const r2 = new FaultRegistry();
    r2.add(listed[0]);
    for (let i = 0; i < 50; i++) expect(r2.take(http(A))?.label).toBe(r1.take(http(A))?.label);
  });
});
