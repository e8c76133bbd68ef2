import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

/**
 * What clients of an ASP.NET service take for granted (through app.inject; the same against a
 * spawned server with curl and Python is in test/interop/challenge-clients.test.ts): a challenge
 * on every 401, lenient content types, case-insensitive query names, 405 with Allow.
 */
let sim: TestSim;
let locked: TestSim;
beforeAll(async () => {
  sim = await startTestSim();
  locked = await startTestSim({ apiKeys: ['only-this'] });
});
afterAll(async () => {
  await sim?.close();
  await locked?.close();
});

const digest = createHash('sha256').update('hello').digest();

async function uploadedBatch(): Promise<number> {
  const id = await sim.createBatch();
  const up = await sim.upload(id, await zipOf({ 'a.txt': 'hello' }));
  expect(up.statusCode).toBe(202);
  return id;
}

describe('every 401 carries WWW-Authenticate', () => {
  const vendorRoutes: [string, string][] = [
    ['POST', '/api/CreateBatch/1'],
    ['POST', '/api/upload/1'],
    ['GET', '/api/BatchStatus/1'],
    ['POST', '/api/AcceptBatch/1'],
    ['POST', '/api/AcceptBatch?batchId=1'],
    ['GET', '/api/batchfile/1'],
    ['DELETE', '/api/BatchDeleteCache/1'],
    ['POST', '/tsa/stamp/1'],
  ];
  for (const [method, url] of vendorRoutes) {
    it(`${method} ${url}: the API key scheme, without a key and with a wrong one`, async () => {
      for (const [target, key] of [
        [sim, null],
        [locked, 'not-this'],
      ] as const) {
        const res = await target.request({ method: method as 'GET', url, key });
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toBe('APIKey realm="SEAL API", header="API-KEY"');
      }
    });
  }

  it('POST /tsa/stamp/rfc3161/{processId}: Basic first, then the API key scheme', async () => {
    const res = await sim.request({
      method: 'POST',
      url: '/tsa/stamp/rfc3161/1',
      key: null,
      headers: { 'content-type': 'application/octet-stream' },
      payload: digest,
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="SEAL API", charset="UTF-8", APIKey realm="SEAL API", header="API-KEY"');
    const basic = `Basic ${Buffer.from('user:not-this').toString('base64')}`;
    const wrong = await locked.request({
      method: 'POST',
      url: '/tsa/stamp/rfc3161/1',
      key: null,
      headers: { authorization: basic, 'content-type': 'application/octet-stream' },
      payload: digest,
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });
});

describe('AcceptBatch reads a bare number whatever the Content-Type says', () => {
  for (const [name, headers] of [
    ['a form (curl -d 113)', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['no Content-Type (Python requests data=str(id))', {}],
    ['text/plain', { 'content-type': 'text/plain; charset=utf-8' }],
    ['application/octet-stream', { 'content-type': 'application/octet-stream' }],
  ] as const) {
    it(`as ${name}`, async () => {
      const id = await uploadedBatch();
      const res = await sim.request({ method: 'POST', url: '/api/AcceptBatch', headers, payload: Buffer.from(String(id)) });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id });
    });
  }

  it('reads a JSON body without a Content-Type, and a form field in any case', async () => {
    const a = await uploadedBatch();
    const json = await sim.request({ method: 'POST', url: '/api/AcceptBatch', payload: Buffer.from(JSON.stringify({ batchId: a })) });
    expect(json.statusCode, json.body).toBe(200);
    const b = await uploadedBatch();
    const form = await sim.request({
      method: 'POST',
      url: '/api/AcceptBatch',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `BATCHID=${b}`,
    });
    expect(form.statusCode, form.body).toBe(200);
  });

  it('415s a body it cannot read with a problem naming the types it reads', async () => {
    const res = await sim.request({ method: 'POST', url: '/api/AcceptBatch', headers: { 'content-type': 'application/xml' }, payload: '<batchId>1</batchId>' });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().detail).toMatch(/application\/json, text\/plain, application\/x-www-form-urlencoded/);
  });
});

describe('query parameter names bind in any case', () => {
  for (const name of ['BatchId', 'batchid', 'BATCHID']) {
    it(`?${name}=`, async () => {
      const id = await uploadedBatch();
      const res = await sim.request({ method: 'POST', url: `/api/AcceptBatch?${name}=${id}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id });
    });
  }

  it('on schema-validated queries too (?Limit= on the control API)', async () => {
    await sim.createBatch();
    await sim.createBatch();
    const res = await sim.request({ method: 'GET', url: '/_simulator/batches?LIMIT=1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().batches).toHaveLength(1);
  });
});

describe('routes that read no body ignore one, as an ASP.NET action that binds nothing from it does', () => {
  it('CreateBatch with a JSON, XML or form body, or none with a Content-Type', async () => {
    for (const [type, payload] of [
      ['application/json', '{"x":1}'],
      ['application/xml', '<a/>'],
      ['application/x-www-form-urlencoded', 'a=1'],
      ['application/json', ''],
    ]) {
      const res = await sim.request({ method: 'POST', url: '/api/CreateBatch/1', headers: { 'content-type': type! }, payload });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(201);
    }
  });
});

describe('an empty body sent as application/json is no body', () => {
  it('reset and advance take it (generated clients send the JSON type on every POST); a route that needs a body still says so', async () => {
    const reset = await sim.request({ method: 'POST', url: '/_simulator/reset', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json()).toMatchObject({ batches: expect.any(Number) });
    const id = await uploadedBatch();
    const advance = await sim.request({
      method: 'POST',
      url: `/_simulator/batches/${id}/advance`,
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(advance.statusCode, advance.body).toBe(200);
    const faults = await sim.request({ method: 'POST', url: '/_simulator/faults', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(faults.statusCode).toBe(400);
    expect(faults.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('TSA routes recognise a body sent without a Content-Type', () => {
  const rfc3161 = (headers: Record<string, string>, payload: Buffer | string) => sim.request({ method: 'POST', url: '/tsa/stamp/rfc3161/1', headers, payload });
  const granted = (der: Buffer) => der.includes(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]));

  it("RFC 3161: a raw digest with no type and with curl's default form type", async () => {
    for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }] as Record<string, string>[]) {
      const res = await rfc3161(headers, digest);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('application/timestamp-reply');
      expect(granted(res.rawPayload)).toBe(true);
    }
  });

  it('RFC 3161: a JSON {"hash"} with no type is answered as a TimeStampResp', async () => {
    const res = await rfc3161({}, JSON.stringify({ hash: digest.toString('base64') }));
    expect(res.statusCode, res.body).toBe(200);
    expect(granted(res.rawPayload)).toBe(true);
    expect(res.rawPayload.includes(digest)).toBe(true);
  });

  it('JSON route: {"hash"} with no type and with curl\'s default form type', async () => {
    for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }] as Record<string, string>[]) {
      const res = await sim.request({ method: 'POST', url: '/tsa/stamp/1', headers, payload: JSON.stringify({ hash: digest.toString('base64') }) });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().token).toEqual(expect.any(String));
    }
  });

  it('415s what neither route reads, naming the types', async () => {
    const xml = await rfc3161({ 'content-type': 'application/xml' }, '<x/>');
    expect(xml.statusCode).toBe(415);
    expect(xml.json().detail).toMatch(/application\/timestamp-query, application\/octet-stream/);
    const binary = await sim.request({ method: 'POST', url: '/tsa/stamp/1', headers: { 'content-type': 'application/octet-stream' }, payload: digest });
    expect(binary.statusCode).toBe(415);
    expect(binary.json().detail).toMatch(/application\/json.*rfc3161/);
    const raw = await sim.request({ method: 'POST', url: '/tsa/stamp/1', payload: digest });
    expect(raw.statusCode).toBe(415);
  });
});

describe('a known path with the wrong method', () => {
  it('is 405 with Allow and a problem body; an unknown path stays 404', async () => {
    for (const [method, url, allow] of [
      ['GET', '/api/CreateBatch/1', 'POST'],
      ['POST', '/api/BatchStatus/1', 'GET, HEAD'],
      ['PUT', '/api/batchfile/1', 'GET, HEAD'],
      ['GET', '/api/AcceptBatch', 'POST'],
      ['DELETE', '/api/createbatch/1', 'POST'],
    ] as const) {
      const res = await sim.request({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 405, type: 'urn:seal-simulator:problem:method-not-allowed' });
      expect(res.json().detail).toContain(allow);
    }
    const unknown = await sim.request({ method: 'GET', url: '/api/NoSuchThing/1' });
    expect(unknown.statusCode).toBe(404);
  });
});
