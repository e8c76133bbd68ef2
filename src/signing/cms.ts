/**
 * CMS SignedData builder, written straight to DER with pre-encoded certificates.
 *
 *   signedAttributes(o): Buffer[]                     // contentType, [signingTime], messageDigest, signingCertificateV2
 *   buildSignedData(o: SignedDataOptions): Buffer     // ContentInfo(signedData) DER
 *   signatureValueOf(contentInfoDer): Buffer          // first SignerInfo's signature OCTETs (CAdES-T imprint input)
 */
import { sign as cryptoSign } from 'node:crypto';
import type { Identity, CertInfo } from './pki-material.js';
import { children, content, ctx, int, nul, octet, oid, readTlv, seq, set, setOf, sha256, tlv, utcTime } from './der.js';
import { OID } from './oids.js';

const attr = (type: string, value: Buffer): Buffer => seq(oid(type), set(value));

/** IssuerSerial { issuer GeneralNames (directoryName), serialNumber } (RFC 5035; XAdES IssuerSerialV2). */
export function issuerSerialDer(cert: CertInfo): Buffer {
  return seq(seq(tlv(0xa4, cert.issuerNameDer)), cert.serialDer);
}

/** ESS signing-certificate-v2 (hashAlgorithm omitted: sha256 is the DEFAULT). */
export function signingCertificateV2(cert: CertInfo): Buffer {
  return attr(OID.signingCertificateV2, seq(seq(seq(octet(cert.sha256), issuerSerialDer(cert)))));
}

export interface SignedAttrOptions {
  eContentType: string;
  digest: Buffer;
  signer: CertInfo;
  /** Omit for PAdES (the sig dictionary's /M carries the time). */
  signingTime?: Date;
}

export function signedAttributes(o: SignedAttrOptions): Buffer[] {
  const a = [attr(OID.contentType, oid(o.eContentType)), attr(OID.messageDigest, octet(o.digest)), signingCertificateV2(o.signer)];
  if (o.signingTime) a.push(attr(OID.signingTime, utcTime(o.signingTime)));
  return a;
}

export interface SignedDataOptions {
  signer: Identity;
  /** Digest (sha256) of the content; computed from `content` when absent. */
  digest?: Buffer;
  /** The content: embedded when `attach`, else only digested (if `digest` is absent). */
  content?: Buffer;
  attach?: boolean;
  eContentType?: string;
  signingTime?: Date;
  /** Certificates put in the SignedData (default: signer + its issuer). */
  certificates?: Buffer[];
  /** Makes a signature time-stamp token for sha256(signatureValue) (CAdES-T / PAdES-B-T). */
  timestamp?: (signatureValueDigest: Buffer) => Buffer;
  /** CRLs (DER) for SignedData.crls (CAdES-B-LT). */
  crls?: Buffer[];
  /** OCSPResponses (DER) for SignedData.crls as id-ri-ocsp-response (RFC 5940; CAdES-B-LT). */
  ocsps?: Buffer[];
}

function sigAlg(id: Identity): Buffer {
  return id.key.asymmetricKeyType === 'ec' ? seq(oid(OID.ecdsaWithSha256)) : seq(oid(OID.rsaEncryption), nul());
}

/** Builds ContentInfo{signedData}. Signed attributes are DER-sorted before signing: verifiers re-encode the SET OF sorted before checking the digest. */
export function buildSignedData(o: SignedDataOptions): Buffer {
  const eContentType = o.eContentType ?? OID.data;
  const digest = o.digest ?? sha256(o.content ?? Buffer.alloc(0));
  const attrs = signedAttributes({ eContentType, digest, signer: o.signer.cert, signingTime: o.signingTime });
  const signedSet = setOf(...attrs);
  const signature = cryptoSign('sha256', signedSet, o.signer.key);
  const implicitAttrs = Buffer.concat([Buffer.from([0xa0]), signedSet.subarray(1)]);
  const unsigned: Buffer[] = [];
  if (o.timestamp) {
    const token = o.timestamp(sha256(signature));
    unsigned.push(tlv(0xa1, seq(oid(OID.signatureTimeStampToken), set(token))));
  }
  const signerInfo = seq(
    int(1),
    seq(o.signer.cert.issuerNameDer, o.signer.cert.serialDer),
    seq(oid(OID.sha256)),
    implicitAttrs,
    sigAlg(o.signer),
    octet(signature),
    ...unsigned,
  );
  const certs = o.certificates ?? [o.signer.cert.der, o.signer.issuer.der];
  const encap = o.attach ? seq(oid(eContentType), ctx(0, octet(o.content ?? Buffer.alloc(0)))) : seq(oid(eContentType));
  // RevocationInfoChoices: CRLs as they are, OCSP responses as `other` [1] (RFC 5940).
  const revocation = [...(o.crls ?? []), ...(o.ocsps ?? []).map((r) => tlv(0xa1, oid(OID.riOcspResponse), r))];
  const signedData = seq(
    int(o.ocsps?.length ? 5 : eContentType === OID.data ? 1 : 3),
    set(seq(oid(OID.sha256))),
    encap,
    ...(certs.length ? [tlv(0xa0, ...certs)] : []),
    ...(revocation.length ? [tlv(0xa1, ...revocation)] : []),
    set(signerInfo),
  );
  return seq(oid(OID.signedData), ctx(0, signedData));
}

/** The signature value OCTETs of the first SignerInfo of a ContentInfo(signedData). */
export function signatureValueOf(contentInfo: Buffer): Buffer {
  const sd = content(children(content(contentInfo))[1]!); // [0] → SignedData
  const parts = children(content(sd));
  const signerInfos = parts[parts.length - 1]!;
  const si = children(content(signerInfos))[0]!;
  const f = children(content(si));
  // version, sid, digestAlg, [0] signedAttrs?, sigAlg, signature
  let i = 3;
  if (f[3]![0] === 0xa0) i = 4;
  const sig = f[i + 1]!;
  const t = readTlv(sig);
  return sig.subarray(t.hdr, t.end);
}
