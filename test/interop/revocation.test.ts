/**
 * Revocation data over HTTP, checked by OpenSSL as a validator would use it: the addresses in the
 * certificates (CRL distribution point, AIA OCSP and caIssuers) lead to the running simulator;
 * `openssl ocsp -url <AIA>` gets good / revoked answers signed by the delegated responder (POST and
 * GET); `openssl verify -crl_check` with the served CRL accepts the seal and rejects a revoked
 * one; revoking through the control route moves the CRL (next CRL number) and OCSP at once; the
 * `revoked-cert` fault seals with a certificate both call revoked.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimProcess, startCli, waitFor } from '../e2e/process.js';
import { unzip, zipOf } from '../helpers/zip.js';
import { docBlock } from '../helpers/doc-blocks.js';
import { run } from './tools.js';

const KEY = 'revocation';

let sim: SimProcess;
let work: string;
const file = (name: string) => join(work, name);

async function get(path: string): Promise<Buffer> {
  const res = await fetch(`${sim.url}${path}`);
  expect(res.status, path).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** The AIA OCSP address and the CRL DP of a PEM certificate, as openssl reads them. */
function addresses(pem: string): { ocsp: string; crl: string; caIssuers: string } {
  const ocsp = run('openssl', ['x509', '-in', pem, '-noout', '-ocsp_uri']).out.trim();
  const text = run('openssl', ['x509', '-in', pem, '-noout', '-text']).out;
  return { ocsp, crl: /URI:(\S+ca\.crl)/.exec(text)?.[1] ?? '', caIssuers: /CA Issuers - URI:(\S+)/.exec(text)?.[1] ?? '' };
}

/** `openssl ocsp` against the address in the certificate; returns the status line and the full output. */
function ocsp(certPem: string, extra: string[] = []): { status: string; out: string } {
  const r = run('openssl', ['ocsp', '-issuer', file('ca.pem'), '-cert', certPem, '-url', addresses(certPem).ocsp, '-CAfile', file('ca.pem'), ...extra]);
  const status = new RegExp(`${certPem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (\\w+)`).exec(r.out)?.[1] ?? `(no status) ${r.out}`;
  return { status, out: r.out };
}

async function crlPem(name: string): Promise<string> {
  writeFileSync(file(`${name}.der`), await get('/_simulator/pki/ca.crl'));
  expect(run('openssl', ['crl', '-inform', 'DER', '-in', file(`${name}.der`), '-out', file(`${name}.pem`)]).rc).toBe(0);
  return file(`${name}.pem`);
}

const crlNumber = (pem: string) =>
  Number.parseInt(/CRL Number:\s*\n?\s*(\S+)/.exec(run('openssl', ['crl', '-in', pem, '-noout', '-text']).out)?.[1] ?? 'NaN', 16);
const verify = (certPem: string, crl: string) => run('openssl', ['verify', '-crl_check', '-CAfile', file('ca.pem'), '-CRLfile', crl, certPem]);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'seal-interop-revocation-'));
  sim = await startCli(['--port', '0', '--timing', 'instant', '--data-dir', join(work, 'data'), '--api-keys', KEY]);
  writeFileSync(file('ca.pem'), await get('/_simulator/pki/ca.pem'));
  writeFileSync(file('seal.pem'), await get('/_simulator/pki/seal.pem'));
  writeFileSync(file('tsa.pem'), await get('/_simulator/pki/tsa.pem'));
}, 60_000);

afterAll(async () => {
  await sim?.stop('SIGTERM').catch(() => {});
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('revocation data where the simulator is (openssl)', () => {
  it('the seal and TSA certificates point to this simulator: CRL DP, AIA OCSP and caIssuers', async () => {
    for (const pem of [file('seal.pem'), file('tsa.pem')]) {
      const a = addresses(pem);
      expect(a).toEqual({ ocsp: `${sim.url}/_simulator/pki/ocsp`, crl: `${sim.url}/_simulator/pki/ca.crl`, caIssuers: `${sim.url}/_simulator/pki/ca.der` });
    }
    // caIssuers serves the CA itself (DER)
    const der = await get('/_simulator/pki/ca.der');
    writeFileSync(file('ca-from-aia.der'), der);
    expect(run('openssl', ['x509', '-inform', 'DER', '-in', file('ca-from-aia.der'), '-noout', '-subject']).out).toContain('Seal Simulator TEST Root CA');
  });

  it('openssl ocsp (POST, nonce) says good, verified against the test CA through the delegated responder', () => {
    const r = ocsp(file('seal.pem'));
    expect(r.out).toContain('Response verify OK');
    expect(r.status).toBe('good');
    expect(r.out).not.toMatch(/WARNING: no nonce/i);
    expect(ocsp(file('tsa.pem')).status).toBe('good');
  });

  it('GET with the base64 request in the path answers the same', async () => {
    expect(run('openssl', ['ocsp', '-issuer', file('ca.pem'), '-cert', file('seal.pem'), '-no_nonce', '-reqout', file('req.der')]).rc).toBe(0);
    const b64 = readFileSync(file('req.der')).toString('base64');
    const res = await fetch(`${sim.url}/_simulator/pki/ocsp/${encodeURIComponent(b64)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/ocsp-response');
    writeFileSync(file('resp.der'), Buffer.from(await res.arrayBuffer()));
    const r = run('openssl', ['ocsp', '-respin', file('resp.der'), '-issuer', file('ca.pem'), '-cert', file('seal.pem'), '-CAfile', file('ca.pem')]);
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/seal\.pem: good/);
  });

  it("the README's openssl commands work as written (against this simulator's address)", async () => {
    const dir = file('readme');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ca.pem'), await get('/_simulator/pki/ca.pem'));
    writeFileSync(join(dir, 'ca.crl'), await get('/_simulator/pki/ca.crl'));
    const script = docBlock('pki-revocation-openssl').replaceAll('http://127.0.0.1:8080', sim.url);
    const r = spawnSync('bash', ['-e', '-c', script], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/seal\.pem: good/);
    expect(r.stdout).toMatch(/seal\.pem: OK/);
  });

  it('openssl verify -crl_check accepts the seal with the served CRL', async () => {
    const crl = await crlPem('crl-1');
    const r = verify(file('seal.pem'), crl);
    expect(r.out).toContain('OK');
    expect(r.rc).toBe(0);
  });

  it('the revoked-cert fault seals with a certificate the CRL lists and OCSP calls revoked; the control route revokes the seal (next CRL number) and takes it back', async () => {
    const headers = { 'API-KEY': KEY };
    const fault = await fetch(`${sim.url}/_simulator/faults`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'revoked-cert', route: 'AcceptBatch' }),
    });
    expect(fault.status).toBe(201);
    const id = ((await (await fetch(`${sim.url}/api/CreateBatch/7`, { method: 'POST', headers })).json()) as { id: string }).id;
    const up = await fetch(`${sim.url}/api/upload/${id}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(await zipOf({ 'notes.txt': 'revoked, please' })),
    });
    expect(up.status).toBe(202);
    expect((await fetch(`${sim.url}/api/AcceptBatch/${id}`, { method: 'POST', headers })).status).toBe(200);
    await waitFor('CLOSED', async () => {
      const s = (await (await fetch(`${sim.url}/api/BatchStatus/${id}`, { headers })).json()) as { status: string };
      return s.status === 'CLOSED' ? true : undefined;
    });
    const zip = Buffer.from(await (await fetch(`${sim.url}/api/batchfile/${id}`, { headers })).arrayBuffer());
    const p7m = (await unzip(zip)).get('notes.txt.p7m');
    expect(p7m).toBeDefined();
    writeFileSync(file('revoked.p7m'), p7m!);
    // the signer's certificate, out of the CMS
    expect(run('openssl', ['pkcs7', '-inform', 'DER', '-in', file('revoked.p7m'), '-print_certs', '-out', file('revoked-certs.pem')]).rc).toBe(0);
    const certs = readFileSync(file('revoked-certs.pem'), 'utf8')
      .split(/(?=-----BEGIN CERTIFICATE-----)/)
      .filter((c) => c.includes('BEGIN'));
    const leaf = certs.find((c) => {
      writeFileSync(file('probe.pem'), c);
      return run('openssl', ['x509', '-in', file('probe.pem'), '-noout', '-subject']).out.includes('(revoked)');
    });
    expect(leaf).toBeDefined();
    writeFileSync(file('revoked-seal.pem'), leaf!);
    expect(ocsp(file('revoked-seal.pem')).status).toBe('revoked');
    const crl = await crlPem('crl-2');
    expect(verify(file('revoked-seal.pem'), crl).out).toMatch(/certificate revoked/);

    // steer: revoke the seal certificate itself
    const before = crlNumber(crl);
    const revoke = await fetch(`${sim.url}/_simulator/pki/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ certificate: 'seal', reason: 'keyCompromise' }),
    });
    expect(revoke.status).toBe(201);
    const entry = (await revoke.json()) as { serial: string; role: string };
    expect(entry.role).toBe('seal');
    const crl3 = await crlPem('crl-3');
    expect(crlNumber(crl3)).toBeGreaterThan(before);
    expect(verify(file('seal.pem'), crl3).out).toMatch(/certificate revoked/);
    const r = ocsp(file('seal.pem'));
    expect(r.status).toBe('revoked');
    expect(r.out).toMatch(/Reason: keyCompromise/);
    const state = (await (await fetch(`${sim.url}/_simulator/pki/revocations`)).json()) as { crlNumber: number; revoked: { serial: string }[] };
    expect(state.revoked.map((e) => e.serial)).toContain(entry.serial);
    expect(state.crlNumber).toBe(crlNumber(crl3));

    // and back
    expect((await fetch(`${sim.url}/_simulator/pki/revocations/${entry.serial}`, { method: 'DELETE' })).status).toBe(204);
    expect(ocsp(file('seal.pem')).status).toBe('good');
    const crl4 = await crlPem('crl-4');
    expect(crlNumber(crl4)).toBeGreaterThan(crlNumber(crl3));
    expect(verify(file('seal.pem'), crl4).rc).toBe(0);
  });
});
