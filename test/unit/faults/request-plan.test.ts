import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/errors.js';
import { FaultRegistry } from '../../../src/faults/fault-registry.js';
import { planRequest, type RequestFacts } from '../../../src/faults/request-plan.js';

const A = 't-aaaaaaaaaaaa';
const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({ route: 'BatchStatus', tenant: A, batchId: 7, prefer: undefined, ...over });

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('planRequest', () => {
  it('plans nothing when nothing is armed and nothing is asked for', () => {
    expect(planRequest(facts(), new FaultRegistry({ seed: 1 }))).toEqual({ labels: [], latencyMs: null, answer: null, body: [], domain: null });
  });

  it('draws a delay, then an answer, in that order, and labels both', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'status', status: 503, retryAfter: 2, id: 's' });
    r.add({ kind: 'latency', ms: 40, id: 'l' });
    const plan = planRequest(facts(), r);
    expect(plan.latencyMs).toBe(40);
    expect(plan.answer).toEqual({ params: { kind: 'status', status: 503, retryAfter: 2 }, label: 'status(503)#s' });
    expect(plan.labels).toEqual(['latency(40ms)#l', 'status(503)#s']);
    expect(r.size).toBe(0);
  });

  it('draws no body fault when an answer replaces the response', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'dribble', id: 'd' });
    r.add({ kind: 'reset', id: 'r' });
    const plan = planRequest(facts(), r);
    expect(plan.answer?.params.kind).toBe('reset');
    expect(plan.body).toEqual([]);
    expect(r.get('d')?.remaining).toBe(1); // still armed for the next request
    expect(planRequest(facts(), r).body.map((f) => f.label)).toEqual(['dribble(16B/100ms)#d']);
  });

  it('asks for a body kind only on the routes its entry names', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'truncate-download', id: 't' });
    expect(planRequest(facts({ route: 'BatchStatus' }), r).body).toEqual([]);
    expect(r.get('t')?.matched).toBe(0); // not even looked at
    expect(planRequest(facts({ route: 'batchfile' }), r).body).toEqual([
      { params: { kind: 'truncate-download', fraction: 0.5 }, label: 'truncate-download(50%)#t' },
    ]);
  });

  it('matches tenant and batch', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'empty', tenant: A, batchId: 8 });
    expect(planRequest(facts({ batchId: 7 }), r).answer).toBeNull();
    expect(planRequest(facts({ tenant: 't-bbbbbbbbbbbb', batchId: 8 }), r).answer).toBeNull();
    expect(planRequest(facts({ batchId: 8 }), r).answer?.params.kind).toBe('empty');
  });

  it('a Prefer HTTP fault fires for this request only, before the registry is asked for its kind', () => {
    const r = new FaultRegistry({ seed: 1 });
    r.add({ kind: 'latency', ms: 900, id: 'stored' });
    const plan = planRequest(facts({ prefer: 'fault=latency; ms=5' }), r);
    expect(plan.latencyMs).toBe(5);
    expect(plan.labels).toEqual(['latency(5ms)#prefer']);
    expect(r.get('stored')?.remaining).toBe(1);
    expect(r.size).toBe(1); // nothing stored for the one-shot
  });

  it("binds a Prefer domain fault to the batch: the named one, AcceptBatch's query or body id, or the one CreateBatch makes", () => {
    const r = new FaultRegistry({ seed: 1 });
    expect(planRequest(facts({ route: 'upload', prefer: 'fault=seal-fail; file=a.pdf' }), r).domain).toEqual({
      spec: { kind: 'seal-fail', fileName: 'a.pdf', route: 'AcceptBatch', tenant: A, batchId: 7, count: 1 },
      batchId: 7,
    });
    const accepted = planRequest(facts({ route: 'AcceptBatch', batchId: null, prefer: 'fault=expire; afterMs=5', acceptedBatchId: () => 12 }), r);
    expect(accepted.domain).toMatchObject({ batchId: 12, spec: { kind: 'expire', batchId: 12 } });
    expect(planRequest(facts({ route: 'AcceptBatch', batchId: null, prefer: 'fault=expire; afterMs=5', acceptedBatchId: () => null }), r).domain).toBeNull();
    expect(planRequest(facts({ route: 'CreateBatch', batchId: null, prefer: 'fault=untrusted-cert' }), r).domain).toMatchObject({
      batchId: 'created',
      spec: { kind: 'untrusted-cert' },
    });
    expect(r.size).toBe(0); // binding is the caller's to apply
  });

  it("refuses a bad Prefer fault, or one over the tenant's limit, before anything fires", () => {
    const r = new FaultRegistry({ seed: 1, maxPerTenant: 1 });
    r.add({ kind: 'status', status: 500, tenant: A, id: 'held' });
    expect(refusal(() => planRequest(facts({ prefer: 'fault=latency; speed=3' }), r)).code).toBe('invalid_request');
    expect(refusal(() => planRequest(facts({ route: 'upload', prefer: 'fault=seal-fail' }), r)).code).toBe('too_many_faults');
    expect(r.get('held')).toMatchObject({ remaining: 1, matched: 0 });
  });

  it('repeats exactly with the same seeds', () => {
    const run = () => {
      const r = new FaultRegistry({ seed: 99 });
      r.add({ kind: 'latency', minMs: 1, maxMs: 1000, probability: 0.5 });
      r.add({ kind: 'status', status: 502, probability: 0.3 });
      return Array.from({ length: 40 }, () => planRequest(facts(), r)).map((p) => `${p.latencyMs}/${p.answer?.label ?? '-'}`);
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(5);
  });
});
