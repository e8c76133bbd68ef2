import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certIdFor, ocspStatusOnly, serialHexOf } from '../../src/signing/ocsp.js';
import { seq } from '../../src/signing/der.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';

/**
 * The PKI routes as the OpenAPI document describes them (every response is checked against it):
 * the CRL, the OCSP responder (POST and GET), and the revocation control routes with their
 * refusals and the admin token. The answers' content is checked by OpenSSL in
 * test/interop/revocation.test.ts.
 */

let dir: string;
let sim: TestSim;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'seal-pki-routes-'));
  sim = await startTestSim({ dataDir: dir, adminToken: 'admin', publicUrl: 'http://seal-simulator:8080' });
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const admin = { authorization: 'Bearer admin' };

describe('/_simulator/pki', () => {
  it('serves the CRL and the responder certificate; the seal names the public URL set', async () => {
    const crl = await sim.request({ method: 'GET', url: '/_simulator/pki/ca.crl', key: null });
    expect(crl.statusCode).toBe(200);
    expect(crl.headers['content-type']).toBe('application/pkix-crl');
    const ocsp = await sim.request({ method: 'GET', url: '/_simulator/pki/ocsp.pem', key: null });
    expect(ocsp.body).toContain('BEGIN CERTIFICATE');
    const { pki } = await sim.app.sim.pki.get();
    expect(pki.seal.cert.der.includes(Buffer.from('http://seal-simulator:8080/_simulator/pki/ocsp'))).toBe(true);
  });

  it('OCSP over POST and GET; junk gets malformedRequest with HTTP 200; another content type 415', async () => {
    const { pki } = await sim.app.sim.pki.get();
    const req = seq(seq(seq(seq(certIdFor(pki.ca, serialHexOf(pki.seal.cert.der))))));
    const post = await sim.request({
      method: 'POST',
      url: '/_simulator/pki/ocsp',
      key: null,
      headers: { 'content-type': 'application/ocsp-request' },
      payload: req,
    });
    expect(post.statusCode).toBe(200);
    expect(post.headers['content-type']).toBe('application/ocsp-response');
    expect(post.rawPayload[0]).toBe(0x30);
    const get = await sim.request({ method: 'GET', url: `/_simulator/pki/ocsp/${encodeURIComponent(req.toString('base64'))}`, key: null });
    expect(get.statusCode).toBe(200);
    expect(get.rawPayload.length).toBeGreaterThan(100);
    const junk = await sim.request({
      method: 'POST',
      url: '/_simulator/pki/ocsp',
      key: null,
      headers: { 'content-type': 'application/ocsp-request' },
      payload: Buffer.from('hello'),
    });
    expect(junk.statusCode).toBe(200);
    expect(junk.rawPayload.equals(ocspStatusOnly('malformedRequest'))).toBe(true);
    const wrongType = await sim.request({
      method: 'POST',
      url: '/_simulator/pki/ocsp',
      key: null,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(wrongType.statusCode).toBe(415);
  });

  it('revocation control: guarded by the admin token, revokes by role, refuses what it cannot do, restores', async () => {
    expect((await sim.request({ method: 'GET', url: '/_simulator/pki/revocations', key: null })).statusCode).toBe(401);
    const state = await sim.request({ method: 'GET', url: '/_simulator/pki/revocations', key: null, headers: admin });
    expect(state.statusCode).toBe(200);
    expect(state.json().revoked.map((e: { role: string }) => e.role)).toEqual(['revoked-seal']);

    const revoke = await sim.request({
      method: 'POST',
      url: '/_simulator/pki/revocations',
      key: null,
      headers: admin,
      payload: { certificate: 'tsa', reason: 'superseded' },
    });
    expect(revoke.statusCode).toBe(201);
    expect(revoke.json()).toMatchObject({ role: 'tsa', reason: 'superseded' });
    const serial = revoke.json().serial as string;

    for (const [payload, detail] of [
      [{ certificate: 'nope' }, /hexadecimal/],
      [{ certificate: 'ocsp' }, /nocheck/],
      [{ certificate: 'seal', revokedAt: '2999-01-01T00:00:00Z' }, /future/],
      [{ certificate: 'seal', reason: 'bored' }, /reason/],
    ] as const) {
      const r = await sim.request({ method: 'POST', url: '/_simulator/pki/revocations', key: null, headers: admin, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().detail).toMatch(detail);
    }
    const after = await sim.request({ method: 'GET', url: '/_simulator/pki/revocations', key: null, headers: admin });
    expect(after.json().certificates.find((c: { serial: string }) => c.serial === serial).status).toBe('revoked');

    expect((await sim.request({ method: 'DELETE', url: `/_simulator/pki/revocations/${serial}`, key: null, headers: admin })).statusCode).toBe(204);
    expect((await sim.request({ method: 'DELETE', url: `/_simulator/pki/revocations/${serial}`, key: null, headers: admin })).statusCode).toBe(204);
    expect((await sim.request({ method: 'DELETE', url: '/_simulator/pki/revocations/revoked-seal', key: null, headers: admin })).statusCode).toBe(400);
  });
});
