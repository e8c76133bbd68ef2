/**
 * Interop for the validator (process 4): a PDF with two signatures in two incremental revisions
 * (the second added by a test builder, since the sealer re-saves) is read by poppler's pdfsig and by
 * the simulator's validator, which must agree: two signatures, both valid, and one report entry
 * per revision; openssl checks each revision's CMS with the CRL. Needs: apt-get install -y poppler-utils
 * libnss3-tools openssl
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { padesSeal } from '../../src/signing/pades.js';
import { createTsa } from '../../src/signing/tsa.js';
import { validateFile, type ValidationReport } from '../../src/signing/validate.js';
import type { Pki } from '../../src/signing/pki.js';
import { toPem } from '../../src/signing/pki-material.js';
import { scanPdf } from '../../src/signing/validation/pdf.js';
import { NOW, doc, tempPki } from '../unit/signing/helpers.js';
import { addSignatureRevision } from '../unit/signing/validation/builders.js';
import { have, opensslCmsVerify, run } from './tools.js';

const missing = ['pdfsig', 'certutil', 'crlutil', 'openssl'].filter((t) => !have(t));

let work: string;
let pki: Pki;
let cleanup: () => void;
let nssdb: string;
beforeAll(async () => {
  const t = await tempPki();
  pki = t.pki;
  cleanup = t.cleanup;
  work = mkdtempSync(join(tmpdir(), 'sealsim-validation-interop-'));
  nssdb = join(work, 'nssdb');
  mkdirSync(nssdb);
  if (!missing.length) {
    writeFileSync(join(work, 'ca.pem'), pki.ca.pem);
    writeFileSync(join(work, 'ca.crl'), pki.crlDer);
    expect(run('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']).rc).toBe(0);
    expect(run('certutil', ['-A', '-d', `sql:${nssdb}`, '-n', 'sealsim-test-ca', '-t', 'CT,C,C', '-i', join(work, 'ca.pem')]).rc).toBe(0);
    expect(run('crlutil', ['-I', '-d', `sql:${nssdb}`, '-i', join(work, 'ca.crl'), '-t', '1']).rc).toBe(0);
  }
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  cleanup?.();
});

describe.skipIf(missing.length > 0)('two incremental signatures: pdfsig and process 4 agree', () => {
  it('pdfsig finds two valid signatures; the validation report has two TOTAL-PASSED entries, one per revision', async () => {
    const tsa = createTsa(pki);
    const later = new Date(NOW.getTime() + 3_600_000);
    const once = await padesSeal(doc('invoice.pdf'), { signer: pki.seal, now: NOW, timestamp: (d) => tsa.tokenForDigest(d, NOW) });
    const twice = addSignatureRevision(once, { signer: pki.seal, now: later, timestamp: (d) => tsa.tokenForDigest(d, later) });
    const file = join(work, 'two.pdf');
    writeFileSync(file, twice);
    const text = run('pdfsig', ['-nssdir', `sql:${nssdb}`, '-no-ocsp', file]).out;
    expect(text).toContain('Signature #1');
    expect(text).toContain('Signature #2');
    expect(text.match(/Signature Validation: Signature is Valid\./g)).toHaveLength(2);
    // poppler 22.12 with -no-ocsp reports "Unknown issue with Certificate" for every signature after
    // the first in one run (without -no-ocsp both are trusted); openssl checks both chains with the CRL.
    expect(text.split(/Signature #\d+:/)[1]).toContain('Certificate Validation: Certificate is Trusted.');
    const bundle = join(work, 'bundle.pem');
    writeFileSync(bundle, pki.ca.pem + toPem(pki.crlDer, 'X509 CRL'));
    for (const f of scanPdf(twice, 10).fields) {
      writeFileSync(join(work, `s${f.index}.cms`), f.contents);
      writeFileSync(join(work, `s${f.index}.data`), Buffer.concat(f.covered));
      const v = opensslCmsVerify({
        cms: join(work, `s${f.index}.cms`),
        content: join(work, `s${f.index}.data`),
        caFile: bundle,
        extra: ['-crl_check', '-purpose', 'any'],
      });
      expect(v.out, `signature ${f.index}`).toContain('Verification successful');
    }

    const o = await validateFile({ name: 'two.pdf', bytes: twice }, { pki, now: new Date() });
    const r = JSON.parse(o.outputs[1]!.bytes.toString('utf8')) as ValidationReport;
    expect(o.success, r.reasons.join('; ')).toBe(true);
    expect(r.signatures.map((s) => [s.indication, s.level, s.revision?.number, s.revision?.coversWholeFile])).toEqual([
      ['TOTAL-PASSED', 'B-T', 1, false],
      ['TOTAL-PASSED', 'B-T', 2, true],
    ]);
    // pdfsig's "Total document signed" belongs to the last signature only, as coversWholeFile says
    const parts = text.split(/Signature #\d+:/).slice(1);
    expect(parts[0]).toContain('Not total document signed');
    expect(parts[1]).toContain('Total document signed');
  });
});
