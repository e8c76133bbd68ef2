import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { loadTestPki, type Pki } from '../../../src/signing/pki.js';
import { Revocations } from '../../../src/signing/revocation.js';
import { certIdFor, normaliseSerialHex, ocspStatusOnly, serialHexOf } from '../../../src/signing/ocsp.js';
import { seq } from '../../../src/signing/der.js';
import type { KeyObject } from 'node:crypto';

/**
 * The CRL and OCSP answers of the test CA, read back with an ASN.1 library we did not write
 * (pkijs), and checked for signatures, numbers and statuses. The real-tool checks (openssl ocsp,
 * openssl verify -crl_check) are in test/interop/revocation.test.ts.
 */

let dir: string;
let pki: Pki;
let caKey: KeyObject;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealsim-revocation-'));
  ({ pki, caKey } = await loadTestPki({ dir, publicUrl: 'http://127.0.0.1:9999' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ab = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function readCrl(der: Buffer) {
  const crl = new pkijs.CertificateRevocationList({ schema: asn1js.fromBER(ab(der)).result });
  const ext = (id: string) => crl.crlExtensions?.extensions.find((e) => e.extnID === id);
  const number = (ext('2.5.29.20')!.parsedValue as asn1js.Integer).valueBlock.valueDec;
  const serials = (crl.revokedCertificates ?? []).map((r) =>
    Buffer.from(r.userCertificate.valueBlock.valueHexView)
      .toString('hex')
      .replace(/^(00)+/, ''),
  );
  return { crl, number, serials };
}

function readOcsp(der: Buffer) {
  const resp = new pkijs.OCSPResponse({ schema: asn1js.fromBER(ab(der)).result });
  expect(resp.responseStatus.valueBlock.valueDec).toBe(0);
  const basic = new pkijs.BasicOCSPResponse({ schema: asn1js.fromBER(resp.responseBytes!.response.valueBlock.valueHexView).result });
  return { basic, single: basic.tbsResponseData.responses[0]! };
}

describe('revocation data of the test CA', () => {
  it('the CRL is a v2 CRL signed by the CA, numbered, listing the revoked TEST seal from the start', async () => {
    const r = await Revocations.open(pki, caKey, dir);
    const der = r.currentCrlDer(new Date());
    const x = new X509Certificate(pki.ca.der);
    const { crl, number, serials } = readCrl(der);
    expect(crl.version).toBe(1); // v2
    expect(number).toBeGreaterThanOrEqual(1); // loading the PKI may have issued the first one
    expect(serials).toEqual([serialHexOf(pki.revokedSeal.cert.der)]);
    // the CA's signature over the TBS, checked with node:crypto (not our code)
    const tbs = Buffer.from(crl.tbsView);
    const sig = Buffer.from(crl.signatureValue.valueBlock.valueHexView);
    const { verify } = await import('node:crypto');
    expect(verify('sha256', tbs, x.publicKey, sig)).toBe(true);
    // the same CRL until something changes
    expect(r.currentCrlDer(new Date()).equals(der)).toBe(true);
  });

  it('revoking: the next CRL has the next number and lists it; OCSP says revoked with time and reason; restore undoes it', async () => {
    const r = await Revocations.open(pki, caKey, dir);
    const before = readCrl(r.currentCrlDer()).number;
    const at = new Date(Date.now() - 60_000);
    const entry = await r.revoke('seal', 'superseded', at);
    expect(entry.serial).toBe(serialHexOf(pki.seal.cert.der));
    const after = readCrl(r.currentCrlDer());
    expect(after.number).toBe(before + 1);
    expect(after.serials).toContain(entry.serial);

    const { single, basic } = readOcsp(r.ocspResponseFor(pki.seal.cert.der, new Date()));
    expect(single.certStatus.idBlock.tagNumber).toBe(1); // revoked
    expect(Math.abs(new Date(entry.revokedAt).getTime() - at.getTime())).toBeLessThan(1000);
    // signed by the delegated responder, whose certificate travels in the response
    expect(basic.certs).toHaveLength(1);
    expect(Buffer.from(basic.certs![0]!.toSchema().toBER()).equals(pki.ocsp.cert.der)).toBe(true);
    const { verify } = await import('node:crypto');
    expect(verify('sha256', Buffer.from(basic.tbsResponseData.tbsView), pki.ocsp.cert.publicKey, Buffer.from(basic.signature.valueBlock.valueHexView))).toBe(
      true,
    );

    expect(await r.restore(entry.serial)).toBe(true);
    expect(readCrl(r.currentCrlDer()).serials).not.toContain(entry.serial);
    expect(readOcsp(r.ocspResponseFor(pki.seal.cert.der)).single.certStatus.idBlock.tagNumber).toBe(0); // good
    // the state survives a reopen (a restart on the same data dir): numbers never go back
    const again = await Revocations.open(pki, caKey, dir);
    expect(readCrl(again.currentCrlDer()).number).toBeGreaterThan(after.number);
    expect(JSON.parse(readFileSync(join(dir, 'revocation.json'), 'utf8')).crlNumber).toBeGreaterThan(after.number);
  });

  it('OCSP: good for a current certificate, unknown for a serial never issued or another issuer, malformedRequest for junk', async () => {
    const r = await Revocations.open(pki, caKey, null);
    expect(readOcsp(r.ocspResponseFor(pki.tsa.cert.der)).single.certStatus.idBlock.tagNumber).toBe(0);
    expect(readOcsp(r.ocspResponseFor(pki.revokedSeal.cert.der)).single.certStatus.idBlock.tagNumber).toBe(1);
    const never = seq(seq(seq(seq(certIdFor(pki.ca, 'abcdef01', 'sha256')))));
    expect(readOcsp(r.respond(never)).single.certStatus.idBlock.tagNumber).toBe(2); // unknown
    const foreign = seq(seq(seq(seq(certIdFor(pki.untrustedCa, serialHexOf(pki.untrustedSeal.cert.der))))));
    expect(readOcsp(r.respond(foreign)).single.certStatus.idBlock.tagNumber).toBe(2);
    expect(r.respond(Buffer.from('not an OCSP request')).equals(ocspStatusOnly('malformedRequest'))).toBe(true);
  });

  it('the responder and the revoked TEST seal cannot be steered away; an unknown serial is refused', async () => {
    const r = await Revocations.open(pki, caKey, null);
    await expect(r.revoke('ocsp', 'keyCompromise', new Date())).rejects.toThrow(/nocheck/);
    await expect(r.restore('revoked-seal')).rejects.toThrow(/stays revoked/);
    await expect(r.revoke('0a0b0c', 'keyCompromise', new Date())).rejects.toThrow(/no certificate with serial 0a0b0c/);
    expect(normaliseSerialHex('00:0A:0B')).toBe('0a0b');
    expect(() => normaliseSerialHex('xyz')).toThrow(/hexadecimal/);
  });

  it('the responder certificate is what RFC 6960 §4.2.2.2 asks of a delegated responder', () => {
    const c = new X509Certificate(pki.ocsp.cert.der);
    expect(c.keyUsage).toEqual(['1.3.6.1.5.5.7.3.9']);
    expect(c.verify(new X509Certificate(pki.ca.der).publicKey)).toBe(true);
    expect(createPrivateKey(pki.material.ocspKeyPem).asymmetricKeyType).toBe(pki.seal.key.asymmetricKeyType);
  });
});
