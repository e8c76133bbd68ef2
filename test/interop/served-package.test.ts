/**
 * Interop over HTTP, as an integrator would do it: start the simulator, download a package from
 * every sealing process, fetch the trust anchor from /_simulator/pki/ca.pem, and verify each file
 * with the real tools (openssl cms, pdfsig with an NSS db, xmlsec1, the Java checker — for the
 * long-term levels also against the CRL and OCSP responder the simulator serves); time-stamp an
 * `openssl ts -query` through POST /tsa/stamp/rfc3161/1 and verify the reply with `openssl ts -verify`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimProcess, startCli, waitFor } from '../e2e/process.js';
import { unzip, zipOf } from '../helpers/zip.js';
import { compileJavaChecker, javaCheckerMissing, runJavaChecker } from './java-checker.js';
import { opensslCmsVerify, run } from './tools.js';

const DOCS = join(import.meta.dirname, '..', '..', 'fixtures', 'documents');
const INPUT = Object.fromEntries(['invoice.pdf', 'invoice.xml', 'notes.txt'].map((n) => [n, readFileSync(join(DOCS, n))]));
const KEY = 'interop';

let sim: SimProcess;
let work: string;
let caPem: string;
let nssdb: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'seal-interop-http-'));
  sim = await startCli(['--port', '0', '--timing', 'instant', '--data-dir', join(work, 'data')]);
  caPem = join(work, 'ca.pem');
  writeFileSync(caPem, await (await fetch(`${sim.url}/_simulator/pki/ca.pem`)).text());
  const crl = join(work, 'ca.crl');
  writeFileSync(crl, Buffer.from(await (await fetch(`${sim.url}/_simulator/pki/ca.crl`)).arrayBuffer()));
  nssdb = join(work, 'nssdb');
  mkdirSync(nssdb);
  expect(run('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']).rc).toBe(0);
  expect(run('certutil', ['-A', '-d', `sql:${nssdb}`, '-n', 'seal-simulator-test-ca', '-t', 'CT,C,C', '-i', caPem]).rc).toBe(0);
  expect(run('crlutil', ['-I', '-d', `sql:${nssdb}`, '-i', crl, '-t', '1']).rc).toBe(0);
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function sealedPackage(processId: number): Promise<string> {
  const h = { 'API-KEY': KEY };
  const id = Number(((await (await fetch(`${sim.url}/api/CreateBatch/${processId}`, { method: 'POST', headers: h })).json()) as { id: string }).id);
  await fetch(`${sim.url}/api/upload/${id}`, {
    method: 'POST',
    headers: { ...h, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(await zipOf(INPUT)),
  });
  await fetch(`${sim.url}/api/AcceptBatch/${id}`, { method: 'POST', headers: h });
  await waitFor(
    `batch ${id} CLOSED`,
    async () => {
      const s = (await (await fetch(`${sim.url}/api/BatchStatus/${id}`, { headers: h })).json()) as { status: string };
      return s.status === 'CLOSED' ? true : undefined;
    },
    60_000,
  );
  const zip = Buffer.from(await (await fetch(`${sim.url}/api/batchfile/${id}`, { headers: h })).arrayBuffer());
  const dir = join(work, `p${processId}`);
  mkdirSync(dir);
  for (const [name, bytes] of await unzip(zip)) writeFileSync(join(dir, name), bytes);
  return dir;
}

const cmsDetached = (dir: string, name: string) => opensslCmsVerify({ cms: join(dir, `${name}.p7s`), content: join(dir, name), caFile: caPem });
const pdfsig = (file: string) => run('pdfsig', ['-nssdir', `sql:${nssdb}`, '-no-ocsp', file]).out;
const xmlsec = (file: string) =>
  run('xmlsec1', ['--verify', '--trusted-pem', caPem, '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties', file]);

describe('packages downloaded from the started simulator verify with the real tools', () => {
  for (const processId of [1, 5]) {
    it(`process ${processId} (PAdES): pdfsig says valid and trusted`, async () => {
      const dir = await sealedPackage(processId);
      const out = pdfsig(join(dir, 'invoice.pdf'));
      expect(out).toContain('Signature Validation: Signature is Valid.');
      expect(out).toContain('Certificate Validation: Certificate is Trusted.');
      expect(out).toContain('ETSI.CAdES.detached');
    }, 90_000);
  }

  for (const processId of [2, 6]) {
    it(`process ${processId} (CAdES detached): openssl cms -verify accepts every .p7s`, async () => {
      const dir = await sealedPackage(processId);
      for (const name of Object.keys(INPUT)) expect(cmsDetached(dir, name).out).toContain('Verification successful');
    }, 90_000);
  }

  for (const processId of [7, 8]) {
    it(`process ${processId} (CAdES enveloping): openssl cms -verify returns the original bytes`, async () => {
      const dir = await sealedPackage(processId);
      for (const [name, bytes] of Object.entries(INPUT)) {
        const recovered = join(dir, `${name}.recovered`);
        const r = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, `${name}.p7m`), '-CAfile', caPem, '-out', recovered]);
        expect(r.out).toContain('Verification successful');
        expect(readFileSync(recovered).equals(bytes)).toBe(true);
      }
    }, 90_000);
  }

  for (const processId of [3, 9]) {
    it(`process ${processId} (XAdES): xmlsec1 verifies the enveloped XML and the detached signatures`, async () => {
      const dir = await sealedPackage(processId);
      for (const file of ['invoice.xml', 'invoice.pdf.xades.xml', 'notes.txt.xades.xml']) {
        const path = join(dir, file);
        // A detached signature references its data file by name, next to it.
        const r = spawnSync('xmlsec1', ['--verify', '--trusted-pem', caPem, '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties', path], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(`${r.stdout}${r.stderr}`, file).toMatch(/^OK/m);
      }
    }, 90_000);
  }

  it('a tampered file fails every tool', async () => {
    const dir = join(work, 'p1');
    const pdf = readFileSync(join(dir, 'invoice.pdf'));
    const bad = Buffer.from(pdf);
    bad[200] = bad[200]! ^ 0x01;
    writeFileSync(join(dir, 'tampered.pdf'), bad);
    expect(pdfsig(join(dir, 'tampered.pdf'))).not.toContain('Signature is Valid.');
    const p2 = join(work, 'p2');
    writeFileSync(join(p2, 'notes.txt'), 'changed');
    expect(cmsDetached(p2, 'notes.txt').rc).not.toBe(0);
    const xml = join(work, 'p3', 'invoice.xml');
    writeFileSync(xml, readFileSync(xml, 'utf8').replace('123.45', '999.99'));
    expect(xmlsec(xml).rc).not.toBe(0);
  });
});

describe.skipIf(javaCheckerMissing() !== undefined)('long-term packages (processes 10-13) pass the Java checker, with the served revocation data', () => {
  it('B-LT / B-LTA outputs verify, embedded CRL included, and the served CRL (and OCSP, where served) say not revoked', async () => {
    const classPath = compileJavaChecker(join(work, 'java'));
    const specs: string[] = [];
    const d10 = await sealedPackage(10);
    const d11 = await sealedPackage(11);
    const d12 = await sealedPackage(12);
    const d13 = await sealedPackage(13);
    specs.push(`pdf-lt:${join(d10, 'invoice.pdf')}`, `pdf-lta:${join(d11, 'invoice.pdf')}`);
    for (const n of Object.keys(INPUT)) specs.push(`cms-lt:${join(d12, `${n}.p7s`)}:${join(d12, n)}`);
    specs.push(`xades-lt:${join(d13, 'invoice.xml')}`);
    for (const n of ['invoice.pdf', 'notes.txt']) specs.push(`xades-lt:${join(d13, `${n}.xades.xml`)}:${join(d13, n)}`);
    const online = ['--crl-url', `${sim.url}/_simulator/pki/ca.crl`];
    // The OCSP responder is used where this build serves one (a 404 means no responder route).
    const ocsp = await fetch(`${sim.url}/_simulator/pki/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array(0),
    });
    if (ocsp.status !== 404) online.push('--ocsp-url', `${sim.url}/_simulator/pki/ocsp`);
    const lines = runJavaChecker(classPath, caPem, specs, online);
    for (const spec of specs) {
      expect(lines.get(spec), spec).toMatch(/^OK .* lt=signer:[a-z+]+,tsa:[a-z+]+/);
      expect(lines.get(spec), spec).toMatch(/served-revocation-checks=[1-9]/);
    }
  }, 180_000);
});

describe('the TSA endpoint answers openssl ts clients', () => {
  it('openssl ts -query → POST /tsa/stamp/rfc3161/1 → openssl ts -verify', async () => {
    const data = join(work, 'data.bin');
    writeFileSync(data, 'time-stamp me');
    const tsq = join(work, 'req.tsq');
    expect(run('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', tsq]).rc).toBe(0);
    const res = await fetch(`${sim.url}/tsa/stamp/rfc3161/1`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}`, 'content-type': 'application/timestamp-query' },
      body: new Uint8Array(readFileSync(tsq)),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
    const tsr = join(work, 'req.tsr');
    writeFileSync(tsr, Buffer.from(await res.arrayBuffer()));
    expect(run('openssl', ['ts', '-reply', '-in', tsr, '-text']).out).toContain('Status: Granted.');
    expect(run('openssl', ['ts', '-verify', '-in', tsr, '-queryfile', tsq, '-CAfile', caPem]).out).toContain('Verification: OK');
    expect(run('openssl', ['ts', '-verify', '-in', tsr, '-data', data, '-CAfile', caPem]).out).toContain('Verification: OK');
  });

  it('openssl ts -query -tspolicy: its own policy is granted, another is refused as RFC 3161 says', async () => {
    const data = join(work, 'policy.bin');
    writeFileSync(data, 'time-stamp me under a policy');
    const ask = async (policy: string) => {
      const tsq = join(work, `policy-${policy}.tsq`);
      expect(run('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-tspolicy', policy, '-out', tsq]).rc).toBe(0);
      const res = await fetch(`${sim.url}/tsa/stamp/rfc3161/1`, {
        method: 'POST',
        headers: { 'api-key': KEY, 'content-type': 'application/timestamp-query' },
        body: new Uint8Array(readFileSync(tsq)),
      });
      expect(res.status).toBe(200);
      const tsr = join(work, `policy-${policy}.tsr`);
      writeFileSync(tsr, Buffer.from(await res.arrayBuffer()));
      return { tsq, tsr, text: run('openssl', ['ts', '-reply', '-in', tsr, '-text']).out };
    };
    const own = await ask('1.2.3.4.1');
    expect(own.text).toContain('Status: Granted.');
    expect(run('openssl', ['ts', '-verify', '-in', own.tsr, '-queryfile', own.tsq, '-CAfile', caPem]).out).toContain('Verification: OK');
    const other = await ask('1.2.3.4.99');
    expect(other.text).toContain('Status: Rejected.');
    expect(other.text).toContain('the requested TSA policy is not supported by the TSA');
  });
});
