import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createTsa, parseTimeStampRequest, type Tsa } from '../../../src/signing/tsa.js';
import { OID } from '../../../src/signing/oids.js';
import { DomainError } from '../../../src/domain/errors.js';
import type { Pki } from '../../../src/signing/pki.js';
import { NOW, sharedPki } from './helpers.js';

const ab = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** A DER TimeStampReq built with pkijs, a parser/encoder independent of the simulator's own DER code. */
function timeStampReq(o: { hashedMessage: Buffer; nonce?: Buffer; certReq?: boolean; reqPolicy?: string }): Buffer {
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: ab(o.hashedMessage) }),
    }),
    ...(o.nonce ? { nonce: new asn1js.Integer({ valueHex: ab(o.nonce) }) } : {}),
    ...(o.certReq ? { certReq: true } : {}),
    ...(o.reqPolicy ? { reqPolicy: o.reqPolicy } : {}),
  });
  return Buffer.from(req.toSchema().toBER());
}

let pki: Pki;
let tsa: Tsa;
let cleanup: () => void;
beforeAll(async () => {
  ({ pki, cleanup } = await sharedPki());
  tsa = createTsa(pki);
});
afterAll(() => cleanup());

function caCert(): pkijs.Certificate {
  return pkijs.Certificate.fromBER(ab(pki.ca.der));
}

function parseResp(der: Buffer): { resp: pkijs.TimeStampResp; tst: pkijs.TSTInfo; sd: pkijs.SignedData } {
  const resp = pkijs.TimeStampResp.fromBER(ab(der));
  expect(resp.status.status).toBe(0);
  const sd = new pkijs.SignedData({ schema: resp.timeStampToken!.content });
  const tst = new pkijs.TSTInfo({ schema: asn1js.fromBER(sd.encapContentInfo.eContent!.getValue()).result });
  return { resp, tst, sd };
}

describe('RFC 3161 TSA', () => {
  const data = Buffer.from('Seal Simulator TEST data to time-stamp\n');
  const digest = createHash('sha256').update(data).digest();

  it('answers a DER TimeStampReq built in the test: nonce echoed, certReq honoured, genTime from now', async () => {
    const nonce = Buffer.from('00c0ffee1234567890', 'hex');
    const body = timeStampReq({ hashedMessage: digest, nonce, certReq: true });
    const out = tsa.respond(body, NOW);
    const { resp, tst, sd } = parseResp(out);
    expect(Buffer.from(tst.nonce!.valueBlock.valueHexView).toString('hex')).toMatch(/c0ffee1234567890$/);
    expect(tst.genTime.toISOString()).toBe(NOW.toISOString());
    expect(tst.policy).toBe('1.2.3.4.1');
    expect(Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView).equals(digest)).toBe(true);
    expect(sd.certificates?.length).toBe(2);
    expect(await resp.verify({ signer: 0, data: ab(data), trustedCerts: [caCert()] })).toBe(true);
    // wrong data → imprint mismatch
    await expect(resp.verify({ signer: 0, data: ab(Buffer.from('other')), trustedCerts: [caCert()] })).rejects.toBeTruthy();
  });

  it('refuses a request for a policy it does not issue under (rejection, unacceptedPolicy, no token); grants its own', () => {
    const ask = (reqPolicy: string) => timeStampReq({ hashedMessage: digest, reqPolicy, certReq: true });
    const refused = pkijs.TimeStampResp.fromBER(ab(tsa.respond(ask('1.2.3.4.99'), NOW)));
    expect(refused.status.status).toBe(2); // rejection
    expect(refused.timeStampToken).toBeUndefined();
    const failInfo = refused.status.failInfo!;
    expect(Buffer.from(failInfo.valueBlock.valueHexView).toString('hex')).toBe('0001'); // bit 15 only
    expect(failInfo.valueBlock.unusedBits).toBe(0);
    expect(refused.status.statusStrings?.[0]?.valueBlock.value).toMatch(/1\.2\.3\.4\.1 only.*1\.2\.3\.4\.99/);
    expect(parseResp(tsa.respond(ask('1.2.3.4.1'), NOW)).tst.policy).toBe('1.2.3.4.1');
  });

  it('leaves certificates out when certReq is false', () => {
    const req = timeStampReq({ hashedMessage: digest, certReq: false });
    const { sd, tst } = parseResp(tsa.respond(req, NOW));
    expect(sd.certificates ?? []).toHaveLength(0);
    expect(tst.nonce).toBeUndefined();
  });

  it.each([
    ['sha1', 20, OID.sha1],
    ['sha256', 32, OID.sha256],
    ['sha384', 48, OID.sha384],
    ['sha512', 64, OID.sha512],
  ])('answers a raw %s digest (%d bytes)', async (alg, len, oid) => {
    const d = createHash(alg).update(data).digest();
    expect(d.length).toBe(len);
    const { resp, tst } = parseResp(tsa.respond(d, NOW));
    expect(tst.messageImprint.hashAlgorithm.algorithmId).toBe(oid);
    expect(await resp.verify({ signer: 0, data: ab(data), trustedCerts: [caCert()] })).toBe(true);
  });

  it('gives every token a unique serial', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) serials.add(Buffer.from(parseResp(tsa.respond(digest, NOW)).tst.serialNumber.valueBlock.valueHexView).toString('hex'));
    expect(serials.size).toBe(20);
  });

  it('stamps {"hash": base64} into a base64 token', () => {
    const { token } = tsa.stampHashJson(digest.toString('base64'), NOW);
    const ci = pkijs.ContentInfo.fromBER(ab(Buffer.from(token, 'base64')));
    expect(ci.contentType).toBe('1.2.840.113549.1.7.2');
    expect(tsa.stampJsonBody({ hash: digest.toString('base64') }, NOW).token).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  const invalid = (f: () => unknown): DomainError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('invalid_request');
      expect((e as DomainError).detail.length).toBeGreaterThan(20);
      return e as DomainError;
    }
    throw new Error('expected a DomainError');
  };

  it('rejects malformed input with invalid_request saying what to send', () => {
    expect(invalid(() => parseTimeStampRequest(Buffer.alloc(0))).detail).toMatch(/empty.*TimeStampReq/s);
    expect(invalid(() => parseTimeStampRequest(Buffer.alloc(31, 7))).detail).toMatch(/31 bytes/);
    expect(invalid(() => parseTimeStampRequest(Buffer.from('3003020101', 'hex'))).detail).toMatch(/not a valid TimeStampReq/);
    // DER request whose hash length contradicts its algorithm
    const bad = timeStampReq({ hashedMessage: Buffer.alloc(20) });
    expect(invalid(() => tsa.respond(bad, NOW)).detail).toMatch(/20 bytes/);
    invalid(() => tsa.stampHashJson('', NOW));
    invalid(() => tsa.stampHashJson('not base64!!', NOW));
    invalid(() => tsa.stampHashJson(Buffer.alloc(31).toString('base64'), NOW));
    invalid(() => tsa.stampJsonBody({ digest: 'x' }, NOW));
    invalid(() => tsa.stampJsonBody(null, NOW));
  });
});
