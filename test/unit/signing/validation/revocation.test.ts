import { beforeAll, describe, expect, it } from 'vitest';
import type { KeyObject } from 'node:crypto';
import { readCert, type Cert } from '../../../../src/signing/validation/certificates.js';
import { revocationStatus } from '../../../../src/signing/validation/revocation.js';
import { buildChain } from '../../../../src/signing/validation/chain.js';
import type { Pki } from '../../../../src/signing/pki.js';
import { NOW, sharedPki } from '../helpers.js';
import { caKeyOf, makeCrl, makeOcsp } from './builders.js';

let pki: Pki;
let caKey: KeyObject;
let seal: Cert;
let ca: Cert;
const DAY = 86_400_000;
const now = new Date();
beforeAll(async () => {
  const s = await sharedPki();
  pki = s.pki;
  caKey = caKeyOf(s.dir);
  seal = readCert(pki.seal.cert.der)!;
  ca = readCert(pki.ca.der)!;
});

const future = () => new Date(now.getTime() + DAY);

describe('revocationStatus', () => {
  it('reads the PKI CRL (good), a CRL listing the certificate (revoked, with its time), and refuses a stale live CRL', () => {
    expect(revocationStatus(seal, ca, { crls: [{ der: pki.crlDer, live: true }], ocsps: [] }, now)).toMatchObject({ status: 'good', source: 'CRL' });
    const crl = makeCrl(pki.ca, caKey, [{ cert: pki.seal.cert, at: NOW }], NOW, future());
    expect(revocationStatus(seal, ca, { crls: [{ der: crl, live: true }], ocsps: [] }, now)).toMatchObject({ status: 'revoked', revokedAt: NOW });
    const stale = makeCrl(pki.ca, caKey, [], new Date(now.getTime() - 2 * DAY), new Date(now.getTime() - DAY));
    expect(revocationStatus(seal, ca, { crls: [{ der: stale, live: true }], ocsps: [] }, now)).toMatchObject({ status: 'unknown' });
    // embedded (not live) data is historical evidence: its nextUpdate is not held against it
    expect(revocationStatus(seal, ca, { crls: [{ der: stale }], ocsps: [] }, now)).toMatchObject({ status: 'good' });
  });

  it('believes only data signed by the issuer', () => {
    const forged = makeCrl(pki.ca, pki.seal.key, [{ cert: pki.seal.cert, at: NOW }], NOW, future());
    const r = revocationStatus(seal, ca, { crls: [{ der: forged }], ocsps: [] }, now);
    expect(r.status).toBe('unknown');
    expect(r.reasons.join()).toMatch(/does not verify/);
    const ocsp = makeOcsp(pki.ca, pki.seal.key, pki.seal.cert, 'good', NOW);
    expect(revocationStatus(seal, ca, { crls: [], ocsps: [ocsp] }, now).status).toBe('unknown');
  });

  it('reads OCSP responses: good, revoked, and about another certificate', () => {
    expect(revocationStatus(seal, ca, { crls: [], ocsps: [makeOcsp(pki.ca, caKey, pki.seal.cert, 'good', NOW)] }, now)).toMatchObject({
      status: 'good',
      source: 'OCSP',
    });
    expect(revocationStatus(seal, ca, { crls: [], ocsps: [makeOcsp(pki.ca, caKey, pki.seal.cert, { revokedAt: NOW }, NOW)] }, now)).toMatchObject({
      status: 'revoked',
      revokedAt: NOW,
      source: 'OCSP',
    });
    const other = revocationStatus(seal, ca, { crls: [], ocsps: [makeOcsp(pki.ca, caKey, pki.tsa.cert, 'good', NOW)] }, now);
    expect(other.status).toBe('unknown');
    expect(other.reasons.join()).toMatch(/other certificates/);
  });

  it('revoked wins over good, earliest revocation first', () => {
    const early = makeCrl(pki.ca, caKey, [{ cert: pki.seal.cert, at: new Date(NOW.getTime() - DAY) }], NOW, future());
    const r = revocationStatus(
      seal,
      ca,
      { crls: [{ der: pki.crlDer }, { der: early }], ocsps: [makeOcsp(pki.ca, caKey, pki.seal.cert, { revokedAt: NOW }, NOW)] },
      now,
    );
    expect(r).toMatchObject({ status: 'revoked', revokedAt: new Date(NOW.getTime() - DAY), source: 'CRL' });
  });
});

describe('buildChain', () => {
  it('reaches the anchor, reports validity per time, and names a foreign issuer', () => {
    const ok = buildChain(pki.seal.cert.der, [], pki.ca.der, [now]);
    expect(ok).toMatchObject({ anchored: true, problems: [], outOfBounds: [] });
    expect(ok.path.map((c) => c.subject)).toEqual([pki.seal.cert.subject, pki.ca.subject]);
    const expired = buildChain(pki.expiredSeal.cert.der, [], pki.ca.der, [now]);
    expect(expired.anchored).toBe(true);
    expect(expired.outOfBounds[0]).toMatchObject({ cert: 'leaf', kind: 'expired' });
    const foreign = buildChain(pki.untrustedSeal.cert.der, [pki.untrustedCa.der], pki.ca.der, [now]);
    expect(foreign.anchored).toBe(false);
    expect(foreign.problems[0]).toMatch(/not the simulator's trust anchor/);
  });
});
