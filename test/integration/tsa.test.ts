import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim, type TestSim } from '../helpers/sim.js';

/** The vendor's TSA endpoints and the published test PKI, through app.inject. */
let sim: TestSim;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'seal-tsa-'));
  sim = await startTestSim({ dataDir: dir, pkiKeyAlgorithm: 'ECDSA-P256' });
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

const digest = createHash('sha256').update('hello').digest();

describe('TSA endpoints (docs/vendor-contract.md#tsa)', () => {
  it('answers a raw SHA-256 digest with a granted DER TimeStampResp', async () => {
    const res = await sim.request({
      method: 'POST',
      url: '/tsa/stamp/rfc3161/1',
      headers: { 'content-type': 'application/octet-stream' },
      payload: digest,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/timestamp-reply');
    const der = res.rawPayload;
    expect(der[0]).toBe(0x30);
    // PKIStatusInfo { status granted(0) } comes first: 30 .. 30 03 02 01 00
    expect(der.includes(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]))).toBe(true);
    expect(der.includes(digest)).toBe(true);
  });

  it('accepts HTTP Basic instead of an API key, and 401s without either', async () => {
    const basic = `Basic ${Buffer.from('user:some-key').toString('base64')}`;
    const ok = await sim.request({
      method: 'POST',
      url: '/tsa/stamp/rfc3161/1',
      key: null,
      headers: { authorization: basic, 'content-type': 'application/timestamp-query' },
      payload: digest,
    });
    expect(ok.statusCode).toBe(200);
    const none = await sim.request({
      method: 'POST',
      url: '/tsa/stamp/rfc3161/1',
      key: null,
      headers: { 'content-type': 'application/octet-stream' },
      payload: digest,
    });
    expect(none.statusCode).toBe(401);
    expect(none.json().detail).toMatch(/HTTP Basic/);
  });

  it('400s bytes that are neither a TimeStampReq nor a digest, and 404s an unknown process', async () => {
    const bad = await sim.request({
      method: 'POST',
      url: '/tsa/stamp/rfc3161/1',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.from('nope'),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    const unknown = await sim.request({
      method: 'POST',
      url: '/tsa/stamp/rfc3161/77',
      headers: { 'content-type': 'application/octet-stream' },
      payload: digest,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('answers {"hash": base64} with a base64 token', async () => {
    const res = await sim.request({ method: 'POST', url: '/tsa/stamp/1', payload: { hash: digest.toString('base64') } });
    expect(res.statusCode, res.body).toBe(200);
    const token = Buffer.from(res.json().token, 'base64');
    expect(token[0]).toBe(0x30);
    expect(token.includes(digest)).toBe(true);
    const bad = await sim.request({ method: 'POST', url: '/tsa/stamp/1', payload: { hash: 'not base64!' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/base64/);
  });

  it('takes genTime from the tenant clock', async () => {
    const res = await sim.request({ method: 'POST', url: '/tsa/stamp/1', payload: { hash: digest.toString('base64') } });
    const token = Buffer.from(res.json().token, 'base64');
    expect(token.toString('latin1')).toContain('20260101120000');
  });
});

describe('published test PKI', () => {
  it('serves the CA, CRL, seal and TSA certificates without an API key', async () => {
    for (const [file, type] of [
      ['ca.pem', 'application/x-pem-file'],
      ['ca.der', 'application/pkix-cert'],
      ['ca.crl', 'application/pkix-crl'],
      ['seal.pem', 'application/x-pem-file'],
      ['tsa.pem', 'application/x-pem-file'],
    ]) {
      const res = await sim.request({ method: 'GET', url: `/_simulator/pki/${file}`, key: null });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-type']).toBe(type);
    }
    const { X509Certificate } = await import('node:crypto');
    const ca = new X509Certificate((await sim.request({ method: 'GET', url: '/_simulator/pki/ca.pem', key: null })).body);
    expect(ca.subject).toMatch(/TEST/);
    const seal = new X509Certificate((await sim.request({ method: 'GET', url: '/_simulator/pki/seal.pem', key: null })).body);
    expect(seal.verify(ca.publicKey)).toBe(true);
  });
});
