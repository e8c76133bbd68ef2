import { existsSync, readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { generateOpenApi, OPENAPI_JSON, OPENAPI_YAML } from '../../scripts/write-openapi.js';
import { TAGS } from '../../src/http/schemas.js';
import { assertConforms, ConformanceError, ResponseChecker } from '../helpers/conformance.js';
import { samplePdf, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const operations = (doc: Json): [string, string, Json][] =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => [path, method, op as Json] as [string, string, Json]),
  );

/** Where two texts first differ, for a drift message a human can act on. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  const i = a.findIndex((line, n) => line !== e[n]);
  const at = i === -1 ? Math.min(a.length, e.length) : i;
  return `line ${at + 1}: committed ${JSON.stringify(e[at] ?? '<end of file>')}, generated ${JSON.stringify(a[at] ?? '<end of file>')}`;
}

const committed = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

describe('route schemas', () => {
  it('all compile: the server compiles them on first use, so this builds the app with eager compilers', async () => {
    sim = await startTestSim({}, { eagerSchemas: true });
    const res = await sim.request({ method: 'GET', url: '/api/BatchStatus/abc' });
    expect(res.statusCode).toBe(400);
  });

  it('validate and serialise the same, lazily compiled: a coerced id, a refused one, a typed body', async () => {
    sim = await startTestSim();
    const id = await sim.createBatch();
    const ok = await sim.request({ method: 'GET', url: `/api/BatchStatus/${id}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id, status: 'NEW' });
    const bad = await sim.request({ method: 'GET', url: '/api/BatchStatus/0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/batchId/);
  });
});

describe('the committed OpenAPI document', () => {
  it('is what the routes generate (else run `npm run openapi:write`)', async () => {
    const { json, yaml } = await generateOpenApi();
    for (const [file, generated] of [
      [OPENAPI_JSON, json],
      [OPENAPI_YAML, yaml],
    ] as const) {
      const text = committed(file);
      if (text !== generated) {
        throw new Error(
          `${file.slice(file.lastIndexOf('openapi/'))} is out of date with the route schemas: run \`npm run openapi:write\` and commit openapi/. First difference at ${firstDifference(generated, text)}`,
        );
      }
    }
    expect(parseYaml(yaml)).toEqual(JSON.parse(json));
  });

  it('is deterministic: no timestamps, no absolute paths, a local server with its port a variable', async () => {
    const a = await generateOpenApi();
    const b = await generateOpenApi();
    expect(a.json).toBe(b.json);
    expect(a.json).not.toContain(process.cwd());
    expect(a.json).not.toMatch(/\b20\d\d-\d\d-\d\dT\d\d:/);
    expect(JSON.parse(a.json).servers).toEqual([
      expect.objectContaining({
        url: 'http://{host}:{port}',
        variables: { host: expect.objectContaining({ default: '127.0.0.1' }), port: expect.objectContaining({ default: '8080' }) },
      }),
    ]);
  });

  for (const variant of [{}, { json: 'typed' as const }, { statusTable: 'B' as const }, { json: 'typed' as const, statusTable: 'B' as const }]) {
    it(`validates against the OpenAPI 3.1 schema (${JSON.stringify(variant)})`, async () => {
      const doc = JSON.parse((await generateOpenApi(variant)).json) as Json;
      const validator = new Validator();
      const result = await validator.validate(doc);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
    });
  }
});

describe('what the document says', () => {
  const doc = (): Json => JSON.parse(committed(OPENAPI_JSON) || '{}') as Json;

  it("keeps the vendor's paths in the vendor's casing and numbered order, tagged and secured as the vendor's", () => {
    const vendor = operations(doc())
      .filter(([, , op]) => op.tags?.includes(TAGS.vendor))
      .map(([path, method, op]) => [method.toUpperCase(), path, op.security]);
    expect(vendor).toEqual([
      ['POST', '/api/CreateBatch/{processId}', [{ apiKey: [] }]],
      ['POST', '/api/upload/{batchId}', [{ apiKey: [] }]],
      ['POST', '/api/AcceptBatch/{batchId}', [{ apiKey: [] }]],
      ['POST', '/api/AcceptBatch', [{ apiKey: [] }]],
      ['GET', '/api/BatchStatus/{batchId}', [{ apiKey: [] }]],
      ['GET', '/api/batchfile/{batchId}', [{ apiKey: [] }]],
      ['DELETE', '/api/BatchDeleteCache/{batchId}', [{ apiKey: [] }]],
      ['POST', '/tsa/stamp/rfc3161/{processId}', [{ apiKey: [] }, { basicAuth: [] }]],
      ['POST', '/tsa/stamp/{processId}', [{ apiKey: [] }]],
    ]);
    expect(doc().components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'API-KEY' }),
      basicAuth: expect.objectContaining({ type: 'http', scheme: 'basic' }),
      adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      adminTokenHeader: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Admin-Token' }),
      adminTokenQuery: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'token' }),
      adminTokenCookie: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'seal_sim_admin' }),
    });
  });

  it('describes every operation for an integrator, and tags what only the simulator has apart', () => {
    const ids = new Set<string>();
    for (const [path, method, op] of operations(doc())) {
      const where = `${method.toUpperCase()} ${path}`;
      const vendorPath = /^\/(api|tsa)\//i.test(path);
      expect(op.summary, `${where}: summary`).toEqual(expect.any(String));
      expect(op.description?.length ?? 0, `${where}: description`).toBeGreaterThan(30);
      expect(op.tags?.length ?? 0, `${where}: tags`).toBeGreaterThan(0);
      expect(op.tags.includes(TAGS.vendor), `${where}: the vendor tag is for the vendor's paths only`).toBe(vendorPath);
      if (op.operationId !== undefined) {
        expect(ids.has(op.operationId), `${where}: operationId ${op.operationId} is used twice`).toBe(false);
        ids.add(op.operationId);
      }
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (Number(status) >= 400) {
          expect(Object.keys(response.content ?? {}), `${where} ${status}: errors are problem+json`).toEqual(['application/problem+json']);
          expect(response.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
        }
      }
      if (!vendorPath) continue;
      // The vendor's operations are what integrators code against: nothing may be left vague.
      expect(op.operationId, `${where}: operationId`).toEqual(expect.any(String));
      expect(op.security?.length ?? 0, `${where}: vendor routes declare the API key`).toBeGreaterThan(0);
      expect(Object.keys(op.responses), `${where}: 401 and 500 declared`).toEqual(expect.arrayContaining(['401', '500']));
      for (const [status, response] of Object.entries(op.responses as Json)) {
        expect(response.description, `${where} ${status}: description`).not.toBe('Default Response');
      }
    }
  });

  it('says where the simulator decides what the vendor leaves open, and what it was generated for', () => {
    const d = doc();
    expect(d.info['x-generated-with']).toEqual({ json: 'vendor', statusTable: 'A' });
    expect(d.info.description).toMatch(/JSON style \*\*vendor\*\*/);
    expect(d.info.description).toMatch(/\| 0 \| NEW \|[\s\S]*\| 6 \| DELETED \|/);
    expect(d.info.description).toMatch(/case-insensitively/);
    const byId = Object.fromEntries(operations(d).map(([, , op]) => [op.operationId, op]));
    expect(byId.AcceptBatch.description).toMatch(/query.*JSON body.*form field.*bare number/s);
    expect(byId.upload.description).toMatch(/Content-Disposition/);
    expect(byId.CreateBatch.description).toMatch(/NEW → `"0"`/);
    expect(byId.BatchStatus.description).toMatch(/UPLOADED/);
  });

  it('declares the upload body as raw application/octet-stream bytes (a file picker in the explorer)', () => {
    const upload = doc().paths['/api/upload/{batchId}'].post;
    expect(upload.requestBody).toMatchObject({
      required: true,
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    });
    expect(JSON.stringify(doc())).not.toContain('x-openapi-only');
    const accept = doc().paths['/api/AcceptBatch'].post;
    expect(accept.requestBody.required).toBe(false);
    expect(accept.parameters).toEqual([expect.objectContaining({ name: 'batchId', in: 'query', required: false })]);
  });

  it('carries examples that match their own schemas', () => {
    for (const variant of [doc()]) {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
      const defs = JSON.parse(JSON.stringify(variant.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
      const check = (where: string, schema: Json, value: unknown) => {
        const validate = ajv.compile({ ...JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/')), $defs: defs });
        expect(validate(value), `${where}: ${JSON.stringify(validate.errors)}`).toBe(true);
      };
      let checked = 0;
      for (const [path, method, op] of operations(variant)) {
        const media = [
          ...Object.values(op.requestBody?.content ?? {}),
          ...Object.values(op.responses as Json).flatMap((r: Json) => Object.values(r.content ?? {})),
        ] as Json[];
        for (const m of [...media, ...((op.parameters ?? []) as Json[])]) {
          const values = [...(m.example !== undefined ? [m.example] : []), ...Object.values(m.examples ?? {}).map((e: any) => e.value)];
          for (const v of values) {
            check(`${method} ${path}`, m.schema, v);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(8);
    }
  });
});

describe('the document served live', () => {
  it('is the committed document at GET /openapi.json, and the explorer at /docs works offline', async () => {
    sim = await startTestSim();
    const res = await sim.request({ method: 'GET', url: '/openapi.json', key: null });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // The committed document, with the origin it was asked at as the first server.
    const live = JSON.parse(res.body) as Json;
    const stored = JSON.parse(committed(OPENAPI_JSON)) as Json;
    expect(live.servers[0]).toEqual({ url: 'http://localhost:80', description: expect.any(String) });
    expect({ ...live, servers: live.servers.slice(1) }).toEqual(stored);
    const explorers = await sim.app.inject({ method: 'GET', url: '/docs/json', headers: { host: '127.0.0.1:9999' } });
    expect(JSON.parse(explorers.body).servers[0].url).toBe('http://127.0.0.1:9999');

    // The explorer's page and assets are not API operations, so they are fetched around `request`.
    const page = await sim.app.inject({ method: 'GET', url: '/docs' });
    const html =
      page.statusCode === 302 ? (await sim.app.inject({ method: 'GET', url: `/docs/${page.headers.location}`.replace('/docs//', '/') })).body : page.body;
    expect(html).toContain('swagger-ui');
    const init = await sim.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
    expect(init.body).toContain('"persistAuthorization":true');
    expect(init.body).toContain('validatorUrl: null');
    // Nothing from the internet: every script and stylesheet comes from the simulator itself.
    for (const ref of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(ref[1]).not.toMatch(/^(https?:)?\/\//);
    const bundle = await sim.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
  });

  it('describes the typed JSON style and status table B when the simulator runs with them', async () => {
    sim = await startTestSim({ json: 'typed', statusTable: 'B' });
    const doc = (await sim.request({ method: 'GET', url: '/openapi.json', key: null })).json();
    expect(doc.info['x-generated-with']).toEqual({ json: 'typed', statusTable: 'B' });
    const created = doc.paths['/api/CreateBatch/{processId}'].post.responses['201'].content['application/json'];
    expect(created.schema.properties.id.type).toBe('integer');
    expect(created.schema.properties.status).toMatchObject({ type: 'integer', enum: [0, 1, 2, 3, 4, 5, 6, 7] });
    expect(created.example).toEqual({ id: 2123, providerSettingsId: 1, creationDate: '2023-01-01 12:00:00', status: 0 });
    const status = doc.paths['/api/BatchStatus/{batchId}'].get.responses['200'].content['application/json'].schema;
    expect(status.properties.status.enum).toContain('UPLOADED');
  });
});

describe('responses held to the document', () => {
  const checker = () => new ResponseChecker(JSON.parse(committed(OPENAPI_JSON)) as Json);
  const ok = { method: 'POST', url: '/api/CreateBatch/1', statusCode: 201, contentType: 'application/json; charset=utf-8' };
  const good = { id: '7', providerSettingsId: '1', creationDate: '2026-01-01 12:00:00', status: '0' };

  it('accepts a conforming response, whatever the path casing', () => {
    expect(checker().check({ ...ok, body: JSON.stringify(good) })).toEqual([]);
    expect(checker().check({ ...ok, url: '/API/createbatch/1/', body: JSON.stringify(good) })).toEqual([]);
  });

  it('catches a wrong body, an undeclared status, a wrong content type and an undocumented route', () => {
    const c = checker();
    expect(c.check({ ...ok, body: JSON.stringify({ ...good, id: 7 }) })).toEqual([expect.stringMatching(/body\/id must be string/)]);
    expect(c.check({ ...ok, body: JSON.stringify({ ...good, extra: 1 }) })).toEqual([expect.stringMatching(/additional properties/)]);
    expect(c.check({ ...ok, statusCode: 418, body: '{}' })).toEqual([expect.stringMatching(/answered 418, which the document does not declare/)]);
    expect(c.check({ ...ok, contentType: 'text/html', body: JSON.stringify(good) })).toEqual([expect.stringMatching(/content type "text\/html"/)]);
    expect(c.check({ ...ok, statusCode: 404, contentType: 'application/json', body: '{}' })).toEqual([expect.stringMatching(/content type/)]);
    expect(c.check({ ...ok, url: '/api/Secret', statusCode: 200, body: '{}' })).toEqual([expect.stringMatching(/no operation of the document/)]);
    expect(
      c.check({
        ...ok,
        url: '/api/AcceptBatch/1',
        statusCode: 409,
        contentType: 'application/problem+json',
        body: JSON.stringify({ title: 'x', status: 409 }),
      }),
    ).toEqual([expect.stringMatching(/must have required property 'type'/), expect.stringMatching(/must have required property 'detail'/)]);
    expect(() => assertConforms(c, { ...ok, body: JSON.stringify({ ...good, status: 0 }) })).toThrow(ConformanceError);
    expect(() => assertConforms(c, { ...ok, body: JSON.stringify({ ...good, status: 0 }) })).toThrow(/npm run openapi:write/);
  });

  it('checks typed responses against the typed document, so a vendor-style body fails there', async () => {
    sim = await startTestSim({ json: 'typed' });
    const typed = new ResponseChecker((await sim.request({ method: 'GET', url: '/openapi.json', key: null })).json());
    expect(typed.check({ ...ok, body: JSON.stringify(good) })).not.toEqual([]);
    expect(typed.check({ ...ok, body: JSON.stringify({ id: 7, providerSettingsId: 1, creationDate: '2026-01-01 12:00:00', status: 0 }) })).toEqual([]);
  });

  it('checks only the content type of the binary download', async () => {
    sim = await startTestSim();
    const id = await sim.closedBatch({ 'a.pdf': samplePdf() });
    const res = await sim.request({ method: 'GET', url: `/api/batchfile/${id}` });
    expect(res.statusCode).toBe(200);
    const c = checker();
    expect(c.check({ method: 'GET', url: `/api/batchfile/${id}`, statusCode: 200, contentType: 'application/octet-stream', body: res.body })).toEqual([]);
    expect(c.check({ method: 'GET', url: `/api/batchfile/${id}`, statusCode: 200, contentType: 'application/json', body: '{}' })).not.toEqual([]);
  });

  it('fails the test whose request got a non-conforming answer', async () => {
    sim = await startTestSim();
    // Break the contract on purpose: the serialiser writes what it is given, enums unchecked.
    const real = sim.app.sim.processes.all.bind(sim.app.sim.processes);
    sim.app.sim.processes.all = () => [{ ...real()[0]!, operation: 'dance' as never }];
    await expect(sim.request({ method: 'GET', url: '/_simulator/processes', key: null })).rejects.toThrow(
      /GET \/_simulator\/processes 200 application\/json: body\/processes\/0\/operation must be equal to one of the allowed values/,
    );
    sim.app.sim.processes.all = real;
    // And an upload of a real ZIP still streams through untouched, conforming.
    const id = await sim.createBatch();
    expect((await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }))).statusCode).toBe(202);
  });
});
