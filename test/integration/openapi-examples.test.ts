import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { OPENAPI_JSON } from '../../scripts/write-openapi.js';
import { KEY, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

/**
 * The committed document's examples, as Swagger UI and example-driven tools use them: every
 * example validates against its schema, and every operation's example request, sent as is to a
 * fresh simulator (with the batch, package or fault it names made first, as a user following the
 * flow would have), succeeds. Ids in examples are 1: the first batch and process of a fresh
 * simulator.
 */
type Json = Record<string, any>;
const doc = JSON.parse(readFileSync(OPENAPI_JSON, 'utf8')) as Json;
const METHODS = ['get', 'put', 'post', 'delete'];
const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
  Object.entries(item as Json)
    .filter(([m]) => METHODS.includes(m))
    .map(([method, op]) => ({ path, method, op: op as Json })),
);

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema({ $id: 'doc', components: doc.components });
const compile = (schema: Json) => ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));

/** Every (where, example, schema) in the document. */
function examples(): [string, unknown, Json][] {
  const out: [string, unknown, Json][] = [];
  const ofSchema = (where: string, schema: Json | undefined) => {
    for (const [i, ex] of ((schema?.examples as unknown[]) ?? []).entries()) out.push([`${where} schema examples[${i}]`, ex, schema!]);
  };
  for (const { path, method, op } of operations) {
    const at = `${method.toUpperCase()} ${path}`;
    for (const p of (op.parameters ?? []) as Json[]) {
      if (p.example !== undefined) out.push([`${at} parameter ${p.name}`, p.example, p.schema]);
      ofSchema(`${at} parameter ${p.name}`, p.schema);
    }
    for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Json)) {
      if (media.example !== undefined && media.schema) out.push([`${at} body ${type}`, media.example, media.schema]);
    }
    for (const [status, res] of Object.entries((op.responses ?? {}) as Json)) {
      for (const [type, media] of Object.entries((res.content ?? {}) as Json)) {
        if (media.example !== undefined && media.schema) out.push([`${at} ${status} ${type}`, media.example, media.schema]);
      }
    }
  }
  for (const [name, schema] of Object.entries((doc.components?.schemas ?? {}) as Json)) ofSchema(`components.schemas.${name}`, schema);
  return out;
}

describe("the document's examples", () => {
  it('each validates against its schema', () => {
    const failures: string[] = [];
    const all = examples();
    for (const [where, example, schema] of all) {
      const validate = compile(schema);
      if (!validate(example)) failures.push(`${where}: ${JSON.stringify(example)} ${ajv.errorsText(validate.errors)}`);
    }
    expect(failures).toEqual([]);
    expect(all.length).toBeGreaterThan(40);
  });

  /** What a user following the flow has done before sending this operation's example. */
  const before: Record<string, 'created' | 'uploaded' | 'closed' | 'fault'> = {
    upload: 'created',
    AcceptBatch: 'uploaded',
    AcceptBatchById: 'uploaded',
    simAdvanceBatch: 'uploaded',
    batchfile: 'closed',
    simRemoveFault: 'fault',
  };

  async function prepare(sim: TestSim, state: 'created' | 'uploaded' | 'closed' | 'fault'): Promise<void> {
    const id = await sim.createBatch();
    expect(id).toBe(1);
    if (state === 'uploaded' || state === 'closed') expect((await sim.upload(id, await zipOf({ 'a.txt': 'x' }))).statusCode).toBe(202);
    if (state === 'closed') {
      expect((await sim.accept(id)).statusCode).toBe(200);
      await sim.app.sim.worker.idle();
    }
    if (state === 'fault') {
      const res = await sim.request({ method: 'POST', url: '/_simulator/faults', payload: { id: 'f1', route: 'BatchStatus', kind: 'latency', ms: 1 } });
      expect(res.statusCode).toBe(201);
    }
  }

  const exampleOf = (p: Json): unknown => p.example ?? p.schema?.examples?.[0];

  /** The example body of an operation, or raw bytes where the body is binary (no example can be). */
  function bodyOf(op: Json): { type: string; payload: string | Buffer } | undefined {
    const content = (op.requestBody?.content ?? {}) as Json;
    const [type, media] = Object.entries(content)[0] ?? [];
    if (!type) return undefined;
    if (media.schema?.format === 'binary') {
      return op.operationId === 'upload'
        ? undefined // made in the test below: a ZIP
        : { type, payload: createHash('sha256').update('example').digest() };
    }
    const example = media.example ?? media.schema?.examples?.[0];
    if (example !== undefined) return { type, payload: typeof example === 'string' ? example : JSON.stringify(example) };
    if (op.requestBody.required !== true) return undefined;
    // A required JSON body without a whole example: built from its properties' examples.
    const props = (media.schema?.properties ?? {}) as Json;
    const built = Object.fromEntries((media.schema?.required ?? []).map((k: string) => [k, props[k]?.examples?.[0]]));
    return { type, payload: JSON.stringify(built) };
  }

  for (const { path, method, op } of operations) {
    it(`${method.toUpperCase()} ${path}: the example request succeeds on a fresh simulator`, async () => {
      const sim = await startTestSim();
      try {
        await prepare(sim, before[op.operationId as string] ?? 'created');
        let url = path;
        const query = new URLSearchParams();
        const headers: Record<string, string> = {};
        for (const p of (op.parameters ?? []) as Json[]) {
          const value = exampleOf(p);
          if (value === undefined) {
            expect(p.required, `${p.in} parameter ${p.name} is required but has no example`).not.toBe(true);
            continue;
          }
          if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(value)));
          else if (p.in === 'query') query.set(p.name, String(value));
          else if (p.in === 'header') headers[p.name.toLowerCase()] = String(value);
        }
        let body = bodyOf(op);
        if (op.operationId === 'upload') body = { type: 'application/octet-stream', payload: await zipOf({ 'a.txt': 'x' }) };
        if (body) headers['content-type'] = body.type;
        const usesKey = ((op.security ?? []) as Json[]).some((s) => 'apiKey' in s);
        const res = await sim.request({
          method: method.toUpperCase() as 'GET',
          url: `${url}${query.size > 0 ? `?${query}` : ''}`,
          key: usesKey ? KEY : null,
          headers,
          payload: body?.payload,
        });
        expect(res.statusCode, res.body.slice(0, 400)).toBeGreaterThanOrEqual(200);
        expect(res.statusCode, res.body.slice(0, 400)).toBeLessThan(300);
      } finally {
        await sim.close();
      }
    });
  }
});
