import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certInfo } from '../../src/signing/pki-material.js';
import { validateBytes } from '../../src/signing/validate.js';
import { unzip, zipOf } from '../helpers/zip.js';
import { type SimProcess, startCli, waitFor } from './process.js';

/**
 * The started process, real signer, real HTTP: every sealing process's package is downloaded and
 * every file in it verified in-process against the CA the simulator publishes; then the sealed
 * files are uploaded to the validate process (4), which must find them valid, and a tampered copy
 * invalid. (npm run test:interop checks the same packages with openssl, pdfsig and xmlsec1.)
 */
const DOCS = join(import.meta.dirname, '..', '..', 'fixtures', 'documents');
const doc = (name: string) => readFileSync(join(DOCS, name));
const INPUT = { 'invoice.pdf': doc('invoice.pdf'), 'invoice.xml': doc('invoice.xml'), 'notes.txt': doc('notes.txt') };

let sim: SimProcess;
let dir: string;
let caPem: string;
let crlDer: Buffer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'seal-sealed-'));
  sim = await startCli(['--port', '0', '--timing', 'instant', '--data-dir', dir, '--signer-threads', '2']);
  caPem = await (await fetch(`${sim.url}/_simulator/pki/ca.pem`)).text();
  crlDer = Buffer.from(await (await fetch(`${sim.url}/_simulator/pki/ca.crl`)).arrayBuffer());
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const KEY = 'sealed';
async function runBatch(processId: number, files: Record<string, Buffer>) {
  const h = { 'API-KEY': KEY };
  const id = Number(((await (await fetch(`${sim.url}/api/CreateBatch/${processId}`, { method: 'POST', headers: h })).json()) as { id: string }).id);
  const up = await fetch(`${sim.url}/api/upload/${id}`, {
    method: 'POST',
    headers: { ...h, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(await zipOf(files)),
  });
  expect(up.status).toBe(202);
  expect((await fetch(`${sim.url}/api/AcceptBatch/${id}`, { method: 'POST', headers: h })).status).toBe(200);
  const status = await waitFor(
    `batch ${id} to close`,
    async () => {
      const s = (await (await fetch(`${sim.url}/api/BatchStatus/${id}`, { headers: h })).json()) as {
        status: string;
        documents: { fileName: string; signed: string; signingResult_Success: string }[];
      };
      return s.status === 'CLOSED' ? s : undefined;
    },
    45_000,
  );
  const zip = Buffer.from(await (await fetch(`${sim.url}/api/batchfile/${id}`, { headers: h })).arrayBuffer());
  return { status, files: await unzip(zip) };
}

const verify = async (name: string, bytes: Buffer, all: Map<string, Buffer>) =>
  validateBytes({ name, bytes }, { pki: { ca: certInfo(caPem), crlDer }, now: new Date(), sibling: (n) => all.get(n) });

/** Per process: every file in the package, and those that carry a signature to verify. */
const EXPECTED: Record<number, { files: string[]; signatures: string[]; timestamped: boolean }> = {
  // PAdES seals PDFs only: the XML and the text fail and are left out
  1: { files: ['invoice.pdf'], signatures: ['invoice.pdf'], timestamped: true },
  2: {
    files: ['invoice.pdf', 'invoice.pdf.p7s', 'invoice.xml', 'invoice.xml.p7s', 'notes.txt', 'notes.txt.p7s'],
    signatures: ['invoice.pdf.p7s', 'invoice.xml.p7s', 'notes.txt.p7s'],
    timestamped: true,
  },
  3: {
    files: ['invoice.pdf', 'invoice.pdf.xades.xml', 'invoice.xml', 'notes.txt', 'notes.txt.xades.xml'],
    signatures: ['invoice.pdf.xades.xml', 'invoice.xml', 'notes.txt.xades.xml'],
    timestamped: false,
  },
  7: { files: ['invoice.pdf.p7m', 'invoice.xml.p7m', 'notes.txt.p7m'], signatures: ['invoice.pdf.p7m', 'invoice.xml.p7m', 'notes.txt.p7m'], timestamped: true },
};

describe('a sealed package downloaded over HTTP', () => {
  for (const [processId, expected] of Object.entries(EXPECTED)) {
    it(`process ${processId}: every signature in the package verifies against /_simulator/pki/ca.pem`, async () => {
      const { status, files } = await runBatch(Number(processId), INPUT);
      expect([...files.keys()].sort()).toEqual(expected.files);
      expect(status.documents.some((d) => d.signingResult_Success === 'true')).toBe(true);
      for (const name of expected.signatures) {
        const result = await verify(name, files.get(name)!, files);
        expect(result.checks.length, `${name}: ${result.note ?? ''}`).toBeGreaterThan(0);
        for (const check of result.checks) expect(check.valid, `${name}: ${check.reasons.join('; ')}`).toBe(true);
        if (expected.timestamped) {
          expect(
            result.checks.every((c) => c.timestamp.present && c.timestamp.valid),
            `${name} carries a valid B-T time-stamp`,
          ).toBe(true);
        }
      }
    }, 60_000);
  }

  it('validates its own seals in process 4 and rejects a tampered copy', async () => {
    const sealed = await runBatch(2, { 'notes.txt': doc('notes.txt') });
    const good = sealed.files;
    const tampered = new Map(good);
    tampered.set('notes.txt', Buffer.concat([good.get('notes.txt')!, Buffer.from('!')]));
    const ok = await runBatch(4, Object.fromEntries(good));
    expect(ok.status.documents.find((d) => d.fileName === 'notes.txt.p7s')!.signingResult_Success).toBe('true');
    const report = JSON.parse(ok.files.get('notes.txt.p7s.validation.json')!.toString()) as {
      valid: boolean;
      indication: string;
      signatures: { indication: string; level: string; revocation?: { status: string } }[];
    };
    expect(report.valid).toBe(true);
    expect(report.indication).toBe('TOTAL-PASSED');
    expect(report.signatures).toMatchObject([{ indication: 'TOTAL-PASSED', level: 'B-T', revocation: { status: 'good' } }]);
    const bad = await runBatch(4, Object.fromEntries(tampered));
    expect(bad.status.documents.find((d) => d.fileName === 'notes.txt.p7s')!.signingResult_Success).toBe('false');
    const badReport = JSON.parse(bad.files.get('notes.txt.p7s.validation.json')!.toString()) as { indication: string; subIndication: string };
    expect(badReport).toMatchObject({ indication: 'TOTAL-FAILED', subIndication: 'HASH_FAILURE' });
  }, 90_000);
});
