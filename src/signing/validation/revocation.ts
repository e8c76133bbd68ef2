/**
 * Revocation status of a certificate from CRLs (RFC 5280) and OCSP responses (RFC 6960): the test
 * PKI's own CRL (a live source) and whatever the signature or the PDF's DSS embeds. Every CRL and
 * response is parsed strictly and its signature verified before it is believed.
 *
 *   revocationStatus(cert, issuer, sources, now): RevocationStatus
 */
import { createHash } from 'node:crypto';
import { bitsOf, bodyOf, bytesOf, DerError, expectTag, hexOfMagnitude, kids, octetsOf, oidOf, parseDer, timeOf, type DerNode } from '../der.js';
import { verifySignatureValue } from './algorithms.js';
import { hashOfOid, OID } from '../oids.js';
import { issued, readCert, type Cert } from './certificates.js';

export interface RevocationSources {
  /** CertificateList DER. `live`: the PKI's current CRL, which must not be past its nextUpdate. */
  crls: { der: Buffer; live?: boolean }[];
  /** OCSPResponse or BasicOCSPResponse DER (as embedded in a signature or a DSS). */
  ocsps: Buffer[];
}

export interface RevocationStatus {
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  /** Which source decided. */
  source?: 'CRL' | 'OCSP';
  /** Why sources were not used (unknown status). */
  reasons: string[];
}

const serialHex = (n: DerNode): string => hexOfMagnitude(bodyOf(expectTag(n, 0x02, 'serialNumber')));

function fromCrl(der: Buffer, live: boolean, cert: Cert, issuer: Cert, now: Date): RevocationStatus | string {
  const [tbs, alg, sig] = kids(parseDer(der, 'CRL'));
  const t = kids(expectTag(tbs, 0x30, 'tbsCertList'));
  let i = t[0]!.tag === 0x02 ? 1 : 0;
  i++; // signature AlgorithmIdentifier
  const issuerName = bytesOf(t[i++]!);
  if (!issuerName.equals(issuer.subjectDer)) return 'a CRL from another issuer';
  const ok = verifySignatureValue({
    sigAlgOid: oidOf(kids(alg!)[0]!),
    signed: [bytesOf(tbs!)],
    key: issuer.publicKey,
    signature: bitsOf(sig!, 'CRL signature'),
  });
  if (!ok) return 'a CRL whose signature does not verify';
  i++; // thisUpdate
  const nu = t[i];
  if (nu && (nu.tag === 0x17 || nu.tag === 0x18)) {
    i++;
    if (live && timeOf(nu) < now) return `the CRL is out of date (nextUpdate ${timeOf(nu).toISOString()})`;
  }
  const list = t[i]?.tag === 0x30 ? kids(t[i]!) : [];
  for (const e of list) {
    const [serial, date] = kids(e);
    if (serialHex(serial!) === cert.serialHex) return { status: 'revoked', revokedAt: timeOf(date!), source: 'CRL', reasons: [] };
  }
  return { status: 'good', source: 'CRL', reasons: [] };
}

function basicOf(der: Buffer): DerNode {
  const root = parseDer(der, 'OCSP response');
  const f = kids(expectTag(root, 0x30, 'OCSP response'));
  if (f[0]?.tag !== 0x0a) return root; // already a BasicOCSPResponse
  if (bodyOf(f[0]).readUInt8(0) !== 0) throw new DerError('the OCSP response status is not successful');
  const [type, bytes] = kids(expectTag(kids(expectTag(f[1], 0xa0, 'responseBytes'))[0], 0x30, 'ResponseBytes'));
  if (oidOf(type!) !== OID.ocspBasic) throw new DerError('not a basic OCSP response');
  return parseDer(octetsOf(bytes!, 'BasicOCSPResponse'), 'BasicOCSPResponse');
}

function fromOcsp(der: Buffer, cert: Cert, issuer: Cert): RevocationStatus | string {
  const [tbs, alg, sig, certs] = kids(expectTag(basicOf(der), 0x30, 'BasicOCSPResponse'));
  const signed = { sigAlgOid: oidOf(kids(alg!)[0]!), signed: [bytesOf(tbs!)], signature: bitsOf(sig!, 'OCSP signature') };
  let trusted = verifySignatureValue({ ...signed, key: issuer.publicKey });
  if (!trusted && certs?.tag === 0xa0) {
    for (const c of kids(kids(certs)[0]!)) {
      const rc = readCert(bytesOf(c));
      if (rc?.extKeyUsage.includes(OID.ocspSigning) && issued(issuer, rc) && verifySignatureValue({ ...signed, key: rc.publicKey })) {
        trusted = true;
        break;
      }
    }
  }
  if (!trusted) return 'an OCSP response not signed by the issuer or its delegated OCSP responder';
  const t = kids(expectTag(tbs, 0x30, 'ResponseData'));
  const responses = t.find((n, i) => i >= 2 && n.tag === 0x30 && kids(n).every((x) => x.tag === 0x30));
  for (const sr of responses ? kids(responses) : []) {
    const [certId, status] = kids(sr);
    const [hashAlg, nameHash, keyHash, serial] = kids(certId!);
    const h = hashOfOid(oidOf(kids(hashAlg!)[0]!));
    if (!h || serialHex(serial!) !== cert.serialHex) continue;
    if (!createHash(h).update(issuer.subjectDer).digest().equals(octetsOf(nameHash!))) continue;
    if (!createHash(h).update(issuer.publicKeyBits).digest().equals(octetsOf(keyHash!))) continue;
    if (status!.tag === 0x80) return { status: 'good', source: 'OCSP', reasons: [] };
    if (status!.tag === 0xa1) return { status: 'revoked', revokedAt: timeOf(kids(status!)[0]!), source: 'OCSP', reasons: [] };
    return 'the OCSP responder does not know the certificate';
  }
  return 'an OCSP response about other certificates';
}

/** Revoked if any trusted source says so (earliest time); good if one says good; otherwise unknown. */
export function revocationStatus(cert: Cert, issuer: Cert, src: RevocationSources, now: Date): RevocationStatus {
  const reasons: string[] = [];
  let good: RevocationStatus | undefined;
  let revoked: RevocationStatus | undefined;
  const take = (r: RevocationStatus | string): void => {
    if (typeof r === 'string') reasons.push(r);
    else if (r.status === 'revoked') {
      if (!revoked || r.revokedAt! < revoked.revokedAt!) revoked = r;
    } else good ??= r;
  };
  for (const c of src.crls) {
    try {
      take(fromCrl(c.der, !!c.live, cert, issuer, now));
    } catch (e) {
      reasons.push(`a CRL that cannot be read (${(e as Error).message})`);
    }
  }
  for (const o of src.ocsps) {
    try {
      take(fromOcsp(o, cert, issuer));
    } catch (e) {
      reasons.push(`an OCSP response that cannot be read (${(e as Error).message})`);
    }
  }
  if (revoked) return revoked;
  if (good) return good;
  return { status: 'unknown', reasons: reasons.length ? [...new Set(reasons)] : ['no CRL or OCSP response for it'] };
}
