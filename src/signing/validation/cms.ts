/**
 * CMS SignedData (RFC 5652) as received: parsed strictly (see der.ts) and verified over the exact
 * bytes it carries. The signed content is given as a list of views (a PDF's two byte ranges, a
 * sibling file, the eContent), hashed incrementally, never joined into a copy.
 *
 *   parseSignedData(der, what): SignedDataParts                  // throws DerError for malformed input
 *   verifySigner(sd, content?): SignerCheck                       // first SignerInfo
 */
import { createHash } from 'node:crypto';
import { bodyOf, bytesOf, DerError, expectTag, hexOfMagnitude, kids, octetsOf, oidOf, parseDer, timeOf, type DerNode } from '../der.js';
import { digestOf, UnsupportedAlgorithm, verifySignatureValue } from './algorithms.js';
import { readCert } from './certificates.js';
import { hashOfOid, OID } from '../oids.js';

export interface SignerInfoParts {
  sid: { issuerDer: Buffer; serial: Buffer } | { ski: Buffer };
  digestOid: string;
  /** The [0] IMPLICIT signed attributes exactly as received. */
  signedAttrs?: DerNode;
  signed: Map<string, DerNode[]>;
  sigAlgOid: string;
  signature: Buffer;
  unsigned: Map<string, DerNode[]>;
}

export interface SignedDataParts {
  eContentType: string;
  eContent?: Buffer;
  certificates: Buffer[];
  crls: Buffer[];
  /** OCSPResponse DER carried as RevocationInfoChoice `other` (id-ri-ocsp-response). */
  ocsps: Buffer[];
  signerInfos: SignerInfoParts[];
}

function attributes(n: DerNode, what: string): Map<string, DerNode[]> {
  const m = new Map<string, DerNode[]>();
  for (const a of kids(n)) {
    const [type, values] = kids(expectTag(a, 0x30, what));
    const oid = oidOf(type!);
    const vals = kids(expectTag(values, 0x31, `${what} values`));
    m.set(oid, [...(m.get(oid) ?? []), ...vals]);
  }
  return m;
}

function signerInfo(n: DerNode): SignerInfoParts {
  const f = kids(expectTag(n, 0x30, 'SignerInfo'));
  let i = 1; // f[0] version
  const sidNode = f[i++]!;
  let sid: SignerInfoParts['sid'];
  if (sidNode.tag === 0x30) {
    const [issuer, serial] = kids(sidNode);
    sid = { issuerDer: bytesOf(expectTag(issuer, 0x30, 'sid issuer')), serial: bodyOf(expectTag(serial, 0x02, 'sid serial')) };
  } else if (sidNode.tag === 0x80) sid = { ski: bodyOf(sidNode) };
  else throw new DerError('SignerInfo sid is neither IssuerAndSerialNumber nor SubjectKeyIdentifier');
  const digestOid = oidOf(kids(expectTag(f[i++], 0x30, 'digestAlgorithm'))[0]!);
  let signedAttrs: DerNode | undefined;
  if (f[i]?.tag === 0xa0) signedAttrs = f[i++];
  const sigAlgOid = oidOf(kids(expectTag(f[i++], 0x30, 'signatureAlgorithm'))[0]!);
  const signature = octetsOf(f[i++]!, 'SignerInfo signature');
  let unsignedAttrs: DerNode | undefined;
  if (f[i]?.tag === 0xa1) unsignedAttrs = f[i++];
  if (i !== f.length) throw new DerError('unexpected fields after the SignerInfo signature');
  return {
    sid,
    digestOid,
    ...(signedAttrs ? { signedAttrs } : {}),
    signed: signedAttrs ? attributes(signedAttrs, 'signed attribute') : new Map(),
    sigAlgOid,
    signature,
    unsigned: unsignedAttrs ? attributes(unsignedAttrs, 'unsigned attribute') : new Map(),
  };
}

/** Parses ContentInfo{SignedData}; every length is checked, nothing is re-encoded. */
export function parseSignedData(der: Buffer, what = 'CMS signature'): SignedDataParts {
  const root = parseDer(der, what);
  const [ct, wrapped] = kids(expectTag(root, 0x30, 'ContentInfo'));
  const contentType = oidOf(ct!);
  if (contentType !== OID.signedData) throw new DerError(`content type ${contentType} is not signedData`);
  const sd = kids(expectTag(kids(expectTag(wrapped, 0xa0, 'ContentInfo content'))[0], 0x30, 'SignedData'));
  let i = 2; // version, digestAlgorithms
  const encap = kids(expectTag(sd[i++], 0x30, 'encapContentInfo'));
  const eContentType = oidOf(encap[0]!);
  let eContent: Buffer | undefined;
  if (encap[1]) eContent = octetsOf(kids(expectTag(encap[1], 0xa0, 'eContent'))[0]!, 'eContent');
  const out: SignedDataParts = { eContentType, certificates: [], crls: [], ocsps: [], signerInfos: [] };
  if (eContent) out.eContent = eContent;
  if (sd[i]?.tag === 0xa0) for (const c of kids(sd[i++]!)) if (c.tag === 0x30) out.certificates.push(bytesOf(c));
  if (sd[i]?.tag === 0xa1) {
    for (const c of kids(sd[i++]!)) {
      if (c.tag === 0x30) out.crls.push(bytesOf(c));
      else if (c.tag === 0xa1) {
        const [fmt, info] = kids(c);
        if (fmt && info && oidOf(fmt) === OID.riOcspResponse) out.ocsps.push(bytesOf(info));
      }
    }
  }
  for (const s of kids(expectTag(sd[i++], 0x31, 'signerInfos'))) out.signerInfos.push(signerInfo(s));
  if (i !== sd.length) throw new DerError('unexpected fields after signerInfos');
  return out;
}

export interface SignerCheck {
  signerCert?: Buffer;
  /** No signer certificate, or the signing-certificate attribute does not name it. */
  signerCertProblems: string[];
  /** messageDigest / content-type mismatch. */
  hashProblems: string[];
  /** The signature value does not verify, or its algorithm is not supported. */
  cryptoProblems: string[];
  signingTime?: Date;
}

function findSignerCert(sd: SignedDataParts, si: SignerInfoParts): Buffer | undefined {
  for (const der of sd.certificates) {
    const c = readCert(der);
    if (!c) continue;
    if ('issuerDer' in si.sid) {
      if (c.issuerDer.equals(si.sid.issuerDer) && c.serialHex === hexOfMagnitude(si.sid.serial)) return der;
    } else if (verifyWith(si, c.publicKey)) return der; // SubjectKeyIdentifier: the key that verifies
  }
  return undefined;
}

function signedBytesOf(si: SignerInfoParts): Buffer[] {
  const a = si.signedAttrs!;
  // The signature covers the attributes with an explicit SET OF tag (RFC 5652 §5.4): same bytes, first octet 0x31.
  return [Buffer.from([0x31]), a.buf.subarray(a.start + 1, a.end)];
}

function verifyWith(si: SignerInfoParts, key: import('node:crypto').KeyObject, content?: readonly Buffer[]): boolean {
  const signed = si.signedAttrs ? signedBytesOf(si) : (content ?? []);
  return verifySignatureValue({ sigAlgOid: si.sigAlgOid, digestOid: si.digestOid, signed, key, signature: si.signature });
}

/** ESS signing-certificate(-v2): the first ESSCertID must hash to the signer certificate. */
function checkSigningCertificate(si: SignerInfoParts, certDer: Buffer): string | undefined {
  const v2 = si.signed.get(OID.signingCertificateV2)?.[0];
  const v1 = si.signed.get(OID.signingCertificate)?.[0];
  if (!v2 && !v1) return 'no signing-certificate-v2 attribute';
  try {
    const first = kids(kids((v2 ?? v1)!)[0]!)[0]!;
    const f = kids(first);
    let alg = 'sha1';
    let idx = 0;
    if (v2) {
      alg = 'sha256';
      if (f[0]!.tag === 0x30) {
        alg = hashOfOid(oidOf(kids(f[0]!)[0]!)) ?? '';
        idx = 1;
      }
      if (!alg) return 'signing-certificate-v2 uses an unsupported hash algorithm';
    }
    const h = octetsOf(f[idx]!, 'certHash');
    if (!createHash(alg).update(certDer).digest().equals(h)) return `signing-certificate${v2 ? '-v2' : ''} does not match the signer certificate`;
  } catch {
    return `signing-certificate${v2 ? '-v2' : ''} cannot be parsed`;
  }
  return undefined;
}

/**
 * Verifies the first SignerInfo over `content` (views; default: the eContent). Problems are sorted
 * by what they mean for the ETSI indication: signer certificate, hash, signature value.
 */
export function verifySigner(sd: SignedDataParts, content?: readonly Buffer[]): SignerCheck {
  const r: SignerCheck = { signerCertProblems: [], hashProblems: [], cryptoProblems: [] };
  const si = sd.signerInfos[0];
  if (!si) {
    r.cryptoProblems.push('the SignedData has no signer');
    return r;
  }
  const data = content ?? (sd.eContent ? [sd.eContent] : undefined);
  const st = si.signed.get(OID.signingTime)?.[0];
  if (st) {
    try {
      r.signingTime = timeOf(st);
    } catch {
      r.hashProblems.push('the signing-time attribute cannot be read');
    }
  }
  const certDer = findSignerCert(sd, si);
  if (!certDer) r.signerCertProblems.push('the signer certificate is not included in the signature');
  else {
    r.signerCert = certDer;
    const p = checkSigningCertificate(si, certDer);
    if (p) r.signerCertProblems.push(p);
  }
  if (!data) {
    r.hashProblems.push('detached signature without its data');
    return r;
  }
  const hash = hashOfOid(si.digestOid);
  if (!hash) {
    r.cryptoProblems.push(`unsupported digest algorithm ${si.digestOid}`);
    return r;
  }
  if (si.signedAttrs) {
    const md = si.signed.get(OID.messageDigest)?.[0];
    const ct = si.signed.get(OID.contentType)?.[0];
    if (!md) r.hashProblems.push('no message-digest attribute');
    else if (!octetsOf(md, 'messageDigest').equals(digestOf(hash, data)))
      r.hashProblems.push('the signature does not verify: the signed data does not match the message digest (the data was changed after signing)');
    if (!ct) r.hashProblems.push('no content-type attribute');
    else if (oidOf(ct) !== sd.eContentType) r.hashProblems.push('the content-type attribute does not match the encapsulated content type');
  }
  const cert = certDer ? readCert(certDer) : undefined;
  if (cert) {
    try {
      if (!verifyWith(si, cert.publicKey, data))
        r.cryptoProblems.push('the signature value does not verify with the signer certificate (the signed attributes or the signature were changed)');
    } catch (e) {
      r.cryptoProblems.push(e instanceof UnsupportedAlgorithm ? e.message : `the signature value cannot be checked: ${(e as Error).message}`);
    }
  }
  return r;
}
