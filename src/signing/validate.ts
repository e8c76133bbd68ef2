/**
 * Process 4 ("validate"): checks each file's signatures against the simulator's trust anchor,
 * in-process (pkijs 3 for CMS/TSP, xadesjs for XML), and writes `<name>.validation.json`.
 *
 *   validateFile(file: InputFile, ctx: ValidateContext): Promise<FileOutcome>
 *   verifyCms(der: Buffer, opts): Promise<CmsCheck>       // CAdES / PAdES CMS, incl. signature time-stamp
 *
 * Which signature a file carries is decided by name and content:
 *   `X.p7s` + sibling `X`      CAdES detached pair (also when the batch has `X` and `X.p7s`, for `X`)
 *   `X.p7m`                    CAdES enveloping
 *   `X.xades.xml` + sibling X  XAdES detached
 *   `%PDF…`                    PAdES (every /ByteRange signature)
 *   XML with ds:Signature      XAdES enveloped
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { webcrypto, X509Certificate, createHash } from 'node:crypto';
import type { FileOutcome, InputFile } from './signer.js';
import type { Pki } from './pki-material.js';
import { extractPdfSignatures } from './pades.js';
import { looksLikeXml, verifyXades } from './xades.js';
import { OID } from './cms.js';

let engineSet = false;
function setup(): void {
  if (engineSet) return;
  pkijs.setEngine('node-webcrypto', new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: webcrypto as unknown as Crypto }));
  engineSet = true;
}

export interface TimestampCheck {
  present: boolean;
  valid: boolean;
  time?: string;
  tsa?: string;
  reasons: string[];
}

export interface SignatureCheck {
  valid: boolean;
  signer?: string;
  signerIssuer?: string;
  signingTime?: string;
  timestamp: TimestampCheck;
  reasons: string[];
}

export interface ValidationReport {
  file: string;
  valid: boolean;
  format: string;
  signer?: string;
  signingTime?: string;
  timestamp: { present: boolean; valid: boolean; time?: string };
  reasons: string[];
  signatures: SignatureCheck[];
  trustAnchor: string;
  checkedAt: string;
  validator: string;
}

export interface ValidateContext {
  pki: Pick<Pki, 'ca'>;
  now: Date;
  /** Another file of the same batch, by exact name. */
  sibling?: (name: string) => Buffer | undefined;
}

const HASH_NAME: Record<string, string> = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };

const ab = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function subjectOf(der: Buffer): string {
  try {
    return new X509Certificate(der).subject.split('\n').join(', ');
  } catch {
    return '(unparseable certificate)';
  }
}

/**
 * Certificates must be valid at the tenant's clock (`now`) and at the real current time: a tenant
 * clock set in the past must not make the expired fault identity look valid.
 */
function checkTimes(now: Date): Date[] {
  const wall = new Date();
  return Math.abs(wall.getTime() - now.getTime()) < 1000 ? [now] : [now, wall];
}

/**
 * Path from `leafDer` to the trust anchor through `pool`; validity checked at each of `times`.
 * Returns the reasons it fails (empty = trusted).
 */
export function checkChain(leafDer: Buffer, pool: Buffer[], anchorDer: Buffer, times: Date[], what = 'signer'): string[] {
  const reasons: string[] = [];
  let cur: X509Certificate;
  try {
    cur = new X509Certificate(leafDer);
  } catch {
    return [`the ${what} certificate cannot be parsed`];
  }
  const anchor = new X509Certificate(anchorDer);
  const candidates = pool.map((d) => {
    try {
      return new X509Certificate(d);
    } catch {
      return undefined;
    }
  });
  const validity = (c: X509Certificate, label: string): void => {
    const from = new Date(c.validFrom);
    const to = new Date(c.validTo);
    for (const t of times) {
      if (t < from) reasons.push(`the ${label} certificate is not yet valid at ${t.toISOString()} (valid from ${from.toISOString()})`);
      if (t > to) reasons.push(`the ${label} certificate expired on ${to.toISOString()} (checked at ${t.toISOString()})`);
    }
  };
  validity(cur, what);
  for (let depth = 0; depth < 6; depth++) {
    if (cur.checkIssued(anchor) && cur.verify(anchor.publicKey)) {
      validity(anchor, 'trust anchor');
      return [...new Set(reasons)];
    }
    if (cur.raw.equals(anchor.raw)) return [...new Set(reasons)];
    const next = candidates.find((c) => c && !c.raw.equals(cur.raw) && cur.checkIssued(c) && cur.verify(c.publicKey));
    if (!next) {
      const selfSigned = cur.checkIssued(cur);
      reasons.push(
        selfSigned
          ? `the ${what} chain ends at "${cur.subject.split('\n').join(', ')}", which is not the simulator's trust anchor`
          : `the ${what} certificate's issuer "${cur.issuer.split('\n').join(', ')}" is not the simulator's trust anchor and is not in the signature`,
      );
      return [...new Set(reasons)];
    }
    cur = next;
    validity(cur, `${what} issuer`);
  }
  reasons.push(`the ${what} chain is too long`);
  return [...new Set(reasons)];
}

export interface CmsCheck {
  signatureValid: boolean;
  signerCert?: Buffer;
  certificates: Buffer[];
  signingTime?: Date;
  content?: Buffer;
  timestamp: TimestampCheck;
  reasons: string[];
}

function attrValue(si: pkijs.SignerInfo, type: string, signed: boolean): asn1js.AsnType[] | undefined {
  const attrs = signed ? si.signedAttrs?.attributes : si.unsignedAttrs?.attributes;
  return attrs?.find((a) => a.type === type)?.values as asn1js.AsnType[] | undefined;
}

function certsOf(sd: pkijs.SignedData): Buffer[] {
  return (sd.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => Buffer.from(c.toSchema().toBER(false)));
}

function signerCertOf(sd: pkijs.SignedData, certs: Buffer[]): Buffer | undefined {
  const si = sd.signerInfos[0];
  if (!si) return undefined;
  const list = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
    const sid = si.sid;
    const i = list.findIndex((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
    return i >= 0 ? certs[i] : undefined;
  }
  return certs[0];
}

/** Verifies a DER TimeStampToken whose imprint must be the hash of `covered` (e.g. a signature value). */
export async function verifyTimestampToken(token: Buffer, covered: Buffer, anchorDer: Buffer, now: Date): Promise<TimestampCheck> {
  setup();
  const r: TimestampCheck = { present: true, valid: false, reasons: [] };
  try {
    const asn = asn1js.fromBER(ab(token));
    if (asn.offset === -1) throw new Error('not DER');
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    const sd = new pkijs.SignedData({ schema: ci.content });
    if (sd.encapContentInfo.eContentType !== OID.tstInfo) throw new Error('the token does not carry a TSTInfo');
    const eContent = sd.encapContentInfo.eContent;
    if (!eContent) throw new Error('the token has no TSTInfo content');
    const tstDer = eContent.getValue();
    const tst = new pkijs.TSTInfo({ schema: asn1js.fromBER(tstDer).result });
    r.time = tst.genTime.toISOString();
    const alg = tst.messageImprint.hashAlgorithm.algorithmId;
    const expected = HASH_NAME[alg] ? createHash(HASH_NAME[alg]!).update(covered).digest() : undefined;
    const got = Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
    if (!expected) r.reasons.push(`unsupported time-stamp imprint algorithm ${alg}`);
    else if (!expected.equals(got)) r.reasons.push('the time-stamp imprint does not match the signature it should cover');
    const certs = certsOf(sd);
    const tsaCert = signerCertOf(sd, certs);
    let verified = false;
    try {
      const res = (await sd.verify({ signer: 0, data: ab(covered), checkChain: false, extendedMode: true })) as pkijs.SignedDataVerifyResult;
      verified = !!res.signatureVerified;
    } catch (e) {
      r.reasons.push(`the time-stamp signature does not verify: ${(e as { message?: string }).message ?? String(e)}`);
    }
    if (!verified && !r.reasons.some((x) => x.startsWith('the time-stamp signature'))) r.reasons.push('the time-stamp signature does not verify');
    if (tsaCert) {
      r.tsa = subjectOf(tsaCert);
      r.reasons.push(...checkChain(tsaCert, certs, anchorDer, [...checkTimes(now), tst.genTime], 'TSA'));
      try {
        const x = new X509Certificate(tsaCert);
        if (!x.toLegacyObject().ext_key_usage?.includes('1.3.6.1.5.5.7.3.8')) r.reasons.push('the TSA certificate lacks the timeStamping EKU');
      } catch {
        /* reported by checkChain */
      }
    } else r.reasons.push('the time-stamp token does not include the TSA certificate');
  } catch (e) {
    r.reasons.push(`the time-stamp token cannot be parsed: ${(e as Error).message}`);
  }
  r.valid = r.reasons.length === 0;
  return r;
}


/** Verifies a CMS SignedData (first signer): signature, chain to the anchor, signature time-stamp. */
export async function verifyCms(der: Buffer, opts: { detached?: Buffer; anchorDer: Buffer; now: Date }): Promise<CmsCheck> {
  setup();
  const r: CmsCheck = { signatureValid: false, certificates: [], timestamp: { present: false, valid: false, reasons: [] }, reasons: [] };
  let sd: pkijs.SignedData;
  try {
    const asn = asn1js.fromBER(ab(der));
    if (asn.offset === -1) throw new Error('not BER/DER');
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    if (ci.contentType !== OID.signedData) throw new Error(`content type ${ci.contentType} is not signedData`);
    sd = new pkijs.SignedData({ schema: ci.content });
  } catch (e) {
    r.reasons.push(`not a CMS SignedData: ${(e as Error).message}`);
    return r;
  }
  const si = sd.signerInfos[0];
  if (!si) {
    r.reasons.push('the SignedData has no signer');
    return r;
  }
  r.certificates = certsOf(sd);
  r.signerCert = signerCertOf(sd, r.certificates);
  const ec = sd.encapContentInfo.eContent;
  if (ec) r.content = Buffer.from(ec.getValue());
  if (!ec && !opts.detached) {
    r.reasons.push('detached signature without its data');
    return r;
  }
  const st = attrValue(si, OID.signingTime, true)?.[0] as asn1js.UTCTime | asn1js.GeneralizedTime | undefined;
  if (st && 'toDate' in st) r.signingTime = st.toDate();
  try {
    const res = (await sd.verify({
      signer: 0,
      ...(opts.detached ? { data: ab(opts.detached) } : {}),
      checkChain: false,
      extendedMode: true,
    })) as pkijs.SignedDataVerifyResult;
    r.signatureValid = !!res.signatureVerified;
    if (!r.signatureValid) r.reasons.push(`the signature does not verify: ${res.message}`);
  } catch (e) {
    const m = (e as { message?: string }).message ?? String(e);
    r.reasons.push(`the signature does not verify (the data or the signed attributes were changed): ${m}`);
  }
  if (!r.signerCert) r.reasons.push('the signer certificate is not included in the signature');
  else r.reasons.push(...checkChain(r.signerCert, r.certificates, opts.anchorDer, checkTimes(opts.now)));
  // ESS signing-certificate-v2 must name the signer certificate.
  const scv2 = attrValue(si, OID.signingCertificateV2, true);
  if (!scv2) r.reasons.push('no signing-certificate-v2 attribute');
  else if (r.signerCert) {
    try {
      const ess = scv2[0] as asn1js.Sequence;
      const certsSeq = ess.valueBlock.value[0] as asn1js.Sequence;
      const first = certsSeq.valueBlock.value[0] as asn1js.Sequence;
      let idx = 0;
      let alg = 'sha256';
      const v0 = first.valueBlock.value[0]!;
      if (v0 instanceof asn1js.Sequence) {
        const o = (v0.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString();
        alg = HASH_NAME[o] ?? 'sha256';
        idx = 1;
      }
      const h = Buffer.from((first.valueBlock.value[idx] as asn1js.OctetString).valueBlock.valueHexView);
      if (!createHash(alg).update(r.signerCert).digest().equals(h)) r.reasons.push('signing-certificate-v2 does not match the signer certificate');
    } catch {
      r.reasons.push('signing-certificate-v2 cannot be parsed');
    }
  }
  const tsAttr = attrValue(si, OID.signatureTimeStampToken, false);
  if (tsAttr?.[0]) {
    const token = Buffer.from(tsAttr[0].toBER(false));
    const sigValue = Buffer.from(si.signature.valueBlock.valueHexView);
    r.timestamp = await verifyTimestampToken(token, sigValue, opts.anchorDer, opts.now);
    if (!r.timestamp.valid) r.reasons.push(...r.timestamp.reasons.map((x) => `signature time-stamp: ${x}`));
  }
  return r;
}

function toCheck(c: { signerCert?: Buffer | undefined; signingTime?: Date | undefined; timestamp: TimestampCheck; reasons: string[] }, signingTime?: Date): SignatureCheck {
  const out: SignatureCheck = { valid: c.reasons.length === 0, timestamp: c.timestamp, reasons: [...new Set(c.reasons)] };
  if (c.signerCert) {
    out.signer = subjectOf(c.signerCert);
    try {
      out.signerIssuer = new X509Certificate(c.signerCert).issuer.split('\n').join(', ');
    } catch {
      /* ignore */
    }
  }
  const t = signingTime ?? c.signingTime;
  if (t) out.signingTime = t.toISOString();
  return out;
}

const P7S = /\.p7s$/i;
const P7M = /\.p7m$/i;
const XADES_DETACHED = /\.xades\.xml$/i;

function isPdf(b: Buffer): boolean {
  return b.subarray(0, 1024).includes('%PDF-');
}

async function checkXades(xml: Buffer, anchor: Buffer, now: Date, detached?: Buffer): Promise<SignatureCheck[]> {
  const res = await verifyXades(xml, detached);
  const out: SignatureCheck[] = [];
  for (const x of res) {
    const reasons: string[] = [];
    if (!x.signatureValid) reasons.push(`the XML signature does not verify${x.error ? `: ${x.error}` : ' (the document or the signed properties were changed)'}`);
    if (!x.signerCert) reasons.push('no signer certificate in KeyInfo');
    else reasons.push(...checkChain(x.signerCert, x.certificates, anchor, checkTimes(now)));
    if (x.signingCertificateMatches === false) reasons.push('SigningCertificateV2 does not match the KeyInfo certificate');
    if (x.signingCertificateMatches === undefined) reasons.push('no SigningCertificate(V2) property');
    let ts: TimestampCheck = { present: false, valid: false, reasons: [] };
    if (x.timestampTokens[0]) {
      ts = await verifyTimestampToken(x.timestampTokens[0], x.signatureValueC14n ?? Buffer.alloc(0), anchor, now);
      if (!ts.valid) reasons.push(...ts.reasons.map((r) => `signature time-stamp: ${r}`));
    }
    out.push(toCheck({ signerCert: x.signerCert, signingTime: x.signingTime, timestamp: ts, reasons }));
  }
  return out;
}

/** Finds and checks the signatures of one file. */
export async function validateBytes(file: InputFile, ctx: ValidateContext): Promise<{ format: string; checks: SignatureCheck[]; note?: string }> {
  const anchor = ctx.pki.ca.der;
  const now = ctx.now;
  const name = file.name;
  const sib = (n: string): Buffer | undefined => ctx.sibling?.(n);
  if (P7S.test(name)) {
    const dataName = name.replace(P7S, '');
    const data = sib(dataName);
    if (!data)
      return { format: 'CAdES detached (.p7s)', checks: [], note: `the signed data file "${dataName}" is not in the batch; upload it together with "${name}"` };
    const c = await verifyCms(file.bytes, { detached: data, anchorDer: anchor, now });
    return { format: 'CAdES detached (.p7s)', checks: [toCheck(c)] };
  }
  if (P7M.test(name)) {
    const c = await verifyCms(file.bytes, { anchorDer: anchor, now });
    if (!c.content && c.signatureValid) c.reasons.push('the .p7m carries no content');
    return { format: 'CAdES enveloping (.p7m)', checks: [toCheck(c)] };
  }
  if (XADES_DETACHED.test(name)) {
    const dataName = name.replace(XADES_DETACHED, '');
    const data = sib(dataName);
    if (!data) return { format: 'XAdES detached', checks: [], note: `the signed data file "${dataName}" is not in the batch; upload it together with "${name}"` };
    return { format: 'XAdES detached', checks: await checkXades(file.bytes, anchor, now, data) };
  }
  if (isPdf(file.bytes)) {
    const sigs = extractPdfSignatures(file.bytes);
    if (sigs.length) {
      const checks: SignatureCheck[] = [];
      for (const [i, s] of sigs.entries()) {
        if (s.broken) {
          checks.push({
            valid: false,
            timestamp: { present: false, valid: false, reasons: [] },
            reasons: ["the signature's ByteRange does not match the file: the PDF was rewritten after this signature was made"],
          });
          continue;
        }
        const c = await verifyCms(s.cms, { detached: s.signedBytes, anchorDer: anchor, now });
        if (i === sigs.length - 1 && !s.coversWholeFile) c.reasons.push('the document was changed after the last signature (its ByteRange does not cover the whole file)');
        if (s.subFilter && !['ETSI.CAdES.detached', 'adbe.pkcs7.detached'].includes(s.subFilter))
          c.reasons.push(`unsupported signature sub-filter ${s.subFilter}`);
        checks.push(toCheck(c, s.m));
      }
      return { format: 'PAdES', checks };
    }
  }
  if (looksLikeXml(file.bytes) && file.bytes.includes('http://www.w3.org/2000/09/xmldsig#')) {
    try {
      const checks = await checkXades(file.bytes, anchor, now);
      if (checks.length) return { format: 'XAdES enveloped', checks };
    } catch {
      /* not parseable XML: fall through */
    }
  }
  // A data file whose detached signature is in the same batch.
  const p7s = sib(`${name}.p7s`);
  if (p7s) {
    const c = await verifyCms(p7s, { detached: file.bytes, anchorDer: anchor, now });
    return { format: `CAdES detached (signature in ${name}.p7s)`, checks: [toCheck(c)] };
  }
  const xd = sib(`${name}.xades.xml`);
  if (xd) return { format: `XAdES detached (signature in ${name}.xades.xml)`, checks: await checkXades(xd, anchor, now, file.bytes) };
  return {
    format: 'none',
    checks: [],
    note: 'no signature found: expected a signed PDF, an XML with ds:Signature, a .p7m, or a .p7s / .xades.xml together with its data file',
  };
}

export async function validateFile(file: InputFile, ctx: ValidateContext): Promise<FileOutcome> {
  let format = 'unknown';
  let checks: SignatureCheck[] = [];
  let note: string | undefined;
  try {
    ({ format, checks, note } = await validateBytes(file, ctx));
  } catch (e) {
    note = `the file could not be checked: ${(e as Error).message}`;
  }
  const reasons = note ? [note] : checks.flatMap((c, i) => c.reasons.map((r) => (checks.length > 1 ? `signature #${i + 1}: ${r}` : r)));
  const valid = checks.length > 0 && checks.every((c) => c.valid) && !note;
  const first = checks[0];
  const report: ValidationReport = {
    file: file.name,
    valid,
    format,
    ...(first?.signer ? { signer: first.signer } : {}),
    ...(first?.signingTime ? { signingTime: first.signingTime } : {}),
    timestamp: {
      present: checks.some((c) => c.timestamp.present),
      valid: checks.length > 0 && checks.every((c) => c.timestamp.present && c.timestamp.valid),
      ...(first?.timestamp.time ? { time: first.timestamp.time } : {}),
    },
    reasons,
    signatures: checks,
    trustAnchor: ctx.pki.ca.subject,
    checkedAt: ctx.now.toISOString(),
    validator: 'seal-simulator in-process validator (pkijs / xadesjs); TEST trust list only',
  };
  return {
    fileName: file.name,
    signed: checks.length > 0,
    success: valid,
    detail: valid
      ? `${format}: ${checks.length} valid signature(s) by ${first?.signer ?? 'unknown'}`
      : `${format}: not valid: ${reasons.join('; ') || 'no signature'}`,
    outputs: [file, { name: `${file.name}.validation.json`, bytes: Buffer.from(JSON.stringify(report, null, 2) + '\n', 'utf8') }],
  };
}
