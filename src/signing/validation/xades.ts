/**
 * XAdES (ETSI EN 319 132-1) signatures in an XML document (enveloped) or a `.xades.xml` beside its
 * data file (detached). References are checked with xadesjs; the signature value is verified with the
 * signer certificate's key only (the one SigningCertificate(V2) names).
 *
 * Cost is bounded: a file with more ds:Signature elements than allowed fails before any is checked,
 * a signature with more than MAX_REFERENCES references is not checked, and the document is cloned
 * once per file (with its top-level signatures removed, which is what xadesjs's enveloped transform
 * does to its own clone for every signature) instead of once per signature, and a whole-document
 * reference is digested once per transform chain and shared by every signature that has it.
 *
 * Level evidence: B-T xades:SignatureTimeStamp; B-LT xades:CertificateValues with
 * xades:RevocationValues (or xades141:TimeStampValidationData); B-LTA xades141:ArchiveTimeStamp
 * (detected for the level; not used as proof of existence).
 *
 *   xadesSignatures(xml, detached, trust, maxSignatures): XadesResult
 */
import { createHash, createVerify, X509Certificate } from 'node:crypto';
import { XMLSerializer } from '@xmldom/xmldom';
import * as xadesjs from 'xadesjs';
import { parseXml } from '../xades-env.js';
import { XmlDsigC14NTransform, XmlDsigExcC14NTransform } from 'xmldsigjs';
import { checkTimeStamp } from './timestamp.js';
import { emptyFacts, judge, type SignatureFacts, type SignatureReport } from './judge.js';
import type { Trust } from './trust.js';

const DS = 'http://www.w3.org/2000/09/xmldsig#';
const XADES = 'http://uri.etsi.org/01903/v1.3.2#';
const XADES141 = 'http://uri.etsi.org/01903/v1.4.1#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
/** References one signature may have (a baseline signature has one per data object plus SignedProperties). */
export const MAX_REFERENCES = 8;

const SIG_METHODS: Record<string, { hash: string; ec: boolean }> = {
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': { hash: 'sha1', ec: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { hash: 'sha256', ec: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { hash: 'sha384', ec: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'sha512', ec: false },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { hash: 'sha256', ec: true },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': { hash: 'sha384', ec: true },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': { hash: 'sha512', ec: true },
};

const all = (root: Element | Document, ns: string, local: string): Element[] =>
  Array.from(root.getElementsByTagNameNS(ns, local) as unknown as ArrayLike<Element>);
const first = (root: Element | Document, ns: string, local: string): Element | undefined => all(root, ns, local)[0];
const b64 = (e: Element): Buffer => Buffer.from((e.textContent ?? '').replace(/\s+/g, ''), 'base64');

function c14n(node: Node, algorithm: string | null | undefined): Buffer {
  const t = algorithm === EXC_C14N ? new XmlDsigExcC14NTransform() : new XmlDsigC14NTransform();
  t.LoadInnerXml(node);
  return Buffer.from(t.GetOutput() as string, 'utf8');
}

function hashOfUri(uri: string): string {
  return uri.endsWith('sha512') ? 'sha512' : uri.endsWith('sha384') ? 'sha384' : uri.endsWith('sha1') ? 'sha1' : 'sha256';
}

export interface XadesResult {
  signatures: SignatureReport[];
  tooMany?: number;
}

/** A clone of the document without its top-level ds:Signature children (the enveloped transform's view). */
function envelopedView(doc: Document): Element {
  const root = doc.documentElement.cloneNode(true) as Element;
  for (let c = root.firstChild; c; ) {
    const next = c.nextSibling;
    if (c.nodeType === 1 && (c as Element).localName === 'Signature' && (c as Element).namespaceURI === DS) root.removeChild(c);
    c = next;
  }
  return root;
}

/**
 * Digests of whole-document references over the shared enveloped view, by URI, digest method and
 * the exact transforms: every enveloped signature of a document digests the same bytes, so the
 * document is canonicalised once per transform chain, not once per signature.
 */
type DigestCache = Map<string, Promise<unknown>>;

interface ReferenceLike {
  Uri?: string;
  DigestMethod: { Algorithm?: string };
  Transforms?: { GetIterator(): Iterable<{ Algorithm?: string; GetXml(): Node | null }> };
}

function shareWholeDocumentDigests(sx: xadesjs.SignedXml, view: () => Element | undefined, cache: DigestCache): void {
  const target = sx as unknown as { DigestReference(source: unknown, ref: ReferenceLike, hmac: boolean): Promise<unknown> };
  const original = target.DigestReference.bind(sx);
  target.DigestReference = (source, ref, hmac) => {
    if (ref.Uri !== '' || source === undefined || source !== view()) return original(source, ref, hmac);
    const serializer = new XMLSerializer();
    const transforms = ref.Transforms
      ? [...ref.Transforms.GetIterator()].map((t) => {
          const x = t.GetXml();
          return x ? serializer.serializeToString(x as unknown as Parameters<XMLSerializer['serializeToString']>[0]) : (t.Algorithm ?? '?');
        })
      : [];
    const key = `${ref.DigestMethod.Algorithm ?? ''}|${transforms.join('|')}`;
    let d = cache.get(key);
    if (!d) cache.set(key, (d = original(source, ref, hmac)));
    return d;
  };
}

async function facts(
  doc: Document,
  sigEl: Element,
  content: () => Element | Uint8Array,
  trust: Trust,
  share?: (sx: xadesjs.SignedXml) => void,
): Promise<SignatureFacts> {
  const f = emptyFacts('XAdES');
  const refs = all(sigEl, DS, 'Reference').filter((r) => r.parentNode && (r.parentNode as Element).localName === 'SignedInfo');
  if (refs.length > MAX_REFERENCES) {
    f.formatProblems.push(`the signature has ${refs.length} references; this validator checks at most ${MAX_REFERENCES}`);
    return f;
  }
  const certs = all(sigEl, DS, 'X509Certificate').map(b64);
  for (const e of all(sigEl, XADES, 'EncapsulatedX509Certificate')) certs.push(b64(e));
  f.certificates = certs;
  const st = first(sigEl, XADES, 'SigningTime');
  if (st?.textContent) {
    const d = new Date(st.textContent.trim());
    if (!Number.isNaN(d.getTime())) f.claimedSigningTime = d;
  }
  // The signer is the certificate SigningCertificate(V2) names; without one, the first KeyInfo certificate.
  const sc = first(sigEl, XADES, 'SigningCertificateV2') ?? first(sigEl, XADES, 'SigningCertificate');
  let signer: Buffer | undefined;
  if (sc) {
    const dm = first(sc, DS, 'DigestMethod')?.getAttribute('Algorithm') ?? '';
    const dv = first(sc, DS, 'DigestValue')?.textContent?.trim() ?? '';
    signer = certs.find((c) => createHash(hashOfUri(dm)).update(c).digest('base64') === dv);
    if (!signer) f.signerCertProblems.push('SigningCertificateV2 does not match the KeyInfo certificate');
  } else f.signerCertProblems.push('no SigningCertificate(V2) property');
  signer ??= certs[0];
  if (signer) f.signerCert = signer;
  else f.signerCertProblems.push('no signer certificate in KeyInfo');

  const sx = new xadesjs.SignedXml(doc);
  try {
    sx.LoadXml(sigEl);
    share?.(sx);
  } catch (e) {
    f.formatProblems.push(`the XML signature cannot be read: ${(e as Error).message}`);
    return f;
  }
  try {
    await (sx as unknown as { ValidateReferences(c: unknown): Promise<boolean> }).ValidateReferences(content());
  } catch (e) {
    f.hashProblems.push(`the XML signature does not verify: ${(e as Error).message}`);
  }
  if (signer) {
    const method = SIG_METHODS[first(sigEl, DS, 'SignatureMethod')?.getAttribute('Algorithm') ?? ''];
    if (!method) f.cryptoProblems.push('unsupported XML signature method');
    else {
      try {
        const si = (sx as unknown as { TransformSignedInfo(d: unknown): string }).TransformSignedInfo(doc);
        const v = createVerify(method.hash).update(si, 'utf8');
        const key = new X509Certificate(signer).publicKey;
        const ok = v.verify(method.ec ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(sx.Signature ?? new Uint8Array()));
        if (!ok) f.cryptoProblems.push('the XML signature does not verify (the signature value or SignedInfo was changed)');
      } catch (e) {
        f.cryptoProblems.push(`the XML signature value cannot be checked: ${(e as Error).message}`);
      }
    }
  }
  const sv = first(sigEl, DS, 'SignatureValue');
  for (const ts of all(sigEl, XADES, 'SignatureTimeStamp')) {
    const alg = first(ts, DS, 'CanonicalizationMethod')?.getAttribute('Algorithm');
    const covered = sv ? [c14n(sv, alg)] : [];
    for (const e of all(ts, XADES, 'EncapsulatedTimeStamp')) f.timeStamps.push(checkTimeStamp(b64(e), covered, 'SIGNATURE_TIMESTAMP', trust));
  }
  for (const e of all(sigEl, XADES, 'EncapsulatedCRLValue')) f.embedded.crls.push({ der: b64(e) });
  for (const e of all(sigEl, XADES, 'EncapsulatedOCSPValue')) f.embedded.ocsps.push(b64(e));
  const hasValues = !!first(sigEl, XADES, 'CertificateValues') && !!first(sigEl, XADES, 'RevocationValues');
  f.longTermData = (hasValues || !!first(sigEl, XADES141, 'TimeStampValidationData')) && f.embedded.crls.length + f.embedded.ocsps.length > 0;
  f.archiveTimeStamp = !!first(sigEl, XADES141, 'ArchiveTimeStamp');
  return f;
}

function countSignatureTags(xml: Buffer, stopAfter: number): number {
  const re = /<(?:[A-Za-z_][\w.-]*:)?Signature[\s>/]/g;
  const text = xml.toString('utf8');
  let n = 0;
  while (n <= stopAfter && re.exec(text)) n++;
  return n;
}

/** Every ds:Signature of `xml`; `detached` is the data file a detached signature refers to. */
export async function xadesSignatures(xml: Buffer, detached: Buffer | undefined, trust: Trust, maxSignatures: number): Promise<XadesResult> {
  // Counted in the text first (any element named Signature), so a file far over the cap costs no parse.
  const rough = countSignatureTags(xml, maxSignatures);
  if (rough > maxSignatures) return { signatures: [], tooMany: rough };
  const doc = parseXml(xml);
  const sigs = all(doc, DS, 'Signature');
  if (sigs.length > maxSignatures) return { signatures: [], tooMany: sigs.length };
  let view: Element | undefined;
  const content = (): Element | Uint8Array =>
    detached ? new Uint8Array(detached.buffer, detached.byteOffset, detached.byteLength) : (view ??= envelopedView(doc));
  const cache: DigestCache = new Map();
  const share = detached ? undefined : (sx: xadesjs.SignedXml) => shareWholeDocumentDigests(sx, () => view, cache);
  const out: SignatureReport[] = [];
  for (const [i, s] of sigs.entries()) out.push(judge(await facts(doc, s, content, trust, share), `S-${i + 1}`, trust));
  return { signatures: out };
}
