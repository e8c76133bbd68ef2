/**
 * XAdES-B-B / B-T with xadesjs.
 *
 *   xadesEnveloped(xml: Buffer, o: XadesOptions): Promise<Buffer>       // <ds:Signature> appended to the root
 *   xadesDetached(data: Buffer, fileName: string, o: XadesOptions): Promise<Buffer>
 *        // a standalone <ds:Signature> whose Reference URI is the (URI-escaped) file name: `<name>.xades.xml`
 *   verifyXades(xml: Buffer, detachedContent?: Buffer): Promise<XadesCheck[]>
 *
 * B-T: a SignatureTimeStamp over sha256(exc-c14n(ds:SignatureValue)) from the simulator's TSA.
 */
import { webcrypto, createHash } from 'node:crypto';
import { DOMImplementation, DOMParser, XMLSerializer } from '@xmldom/xmldom';
import * as xpath from 'xpath';
import * as xadesjs from 'xadesjs';
import { XmlDsigExcC14NTransform } from 'xmldsigjs';
import type { Identity } from './pki-material.js';

let ready = false;
function setup(): void {
  if (ready) return;
  xadesjs.setNodeDependencies({ DOMParser, XMLSerializer, DOMImplementation, xpath });
  xadesjs.Application.setEngine('NodeJS', webcrypto as unknown as Crypto);
  ready = true;
}

const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const XADES_NS = 'http://uri.etsi.org/01903/v1.3.2#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export interface XadesOptions {
  signer: Identity;
  now: Date;
  /** sha256 digest → TimeStampToken DER; makes XAdES-B-T. */
  timestamp?: (digest: Buffer) => Buffer;
}

const keyCache = new Map<string, Promise<CryptoKey>>();
const b64Cache = new WeakMap<Buffer, string>();
function b64Of(der: Buffer): string {
  let v = b64Cache.get(der);
  if (!v) b64Cache.set(der, (v = der.toString('base64')));
  return v;
}
const issuerB64 = (id: Identity): string => b64Of(id.issuer.der);

function signAlg(id: Identity): Algorithm {
  return id.key.asymmetricKeyType === 'ec'
    ? ({ name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams)
    : ({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as RsaHashedImportParams);
}

/** The identity's key as a webcrypto key (imported once per identity; P16). */
function cryptoKey(id: Identity): Promise<CryptoKey> {
  let k = keyCache.get(id.keyPem);
  if (!k) {
    const der = id.key.export({ type: 'pkcs8', format: 'der' });
    const params =
      id.key.asymmetricKeyType === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    k = webcrypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
    keyCache.set(id.keyPem, k);
  }
  return k;
}

export function excC14n(node: Node): string {
  setup();
  const t = new XmlDsigExcC14NTransform();
  t.LoadInnerXml(node);
  return t.GetOutput();
}

function firstByNs(root: Element | Document, ns: string, local: string): Element | undefined {
  const list = root.getElementsByTagNameNS(ns, local);
  return list.length ? (list[0] as Element) : undefined;
}

async function sign(data: Document | Buffer, refs: xadesjs.OptionsXAdES['references'], o: XadesOptions): Promise<Element> {
  setup();
  const signedXml = new xadesjs.SignedXml();
  const sealB64 = b64Of(o.signer.cert.der);
  await signedXml.Sign(signAlg(o.signer), await cryptoKey(o.signer), Buffer.isBuffer(data) ? new Uint8Array(data) : data, {
    // KeyInfo is added below from pre-encoded base64: xadesjs's `x509` option re-parses each
    // certificate on every signature (≈30 % of the XAdES cost). KeyInfo is not a signed reference.
    signingCertificateV2: sealB64,
    signingTime: { value: o.now },
    references: refs,
  });
  if (o.timestamp) {
    const el = signedXml.GetXml();
    const sv = el && firstByNs(el, DS_NS, 'SignatureValue');
    if (!sv) throw new Error('xadesjs produced no SignatureValue');
    const digest = createHash('sha256').update(excC14n(sv), 'utf8').digest();
    const token = o.timestamp(digest);
    const ts = new xadesjs.xml.SignatureTimeStamp();
    ts.CanonicalizationMethod.Algorithm = EXC_C14N;
    const ets = new xadesjs.xml.EncapsulatedTimeStamp();
    ets.Value = new Uint8Array(token);
    ts.EncapsulatedTimeStamp.Add(ets);
    signedXml.UnsignedProperties.UnsignedSignatureProperties.Add(ts);
  }
  const out = signedXml.GetXml();
  if (!out) throw new Error('xadesjs produced no signature');
  const sv = firstByNs(out, DS_NS, 'SignatureValue');
  if (!sv) throw new Error('xadesjs produced no SignatureValue');
  const d = out.ownerDocument;
  const keyInfo = d.createElementNS(DS_NS, 'ds:KeyInfo');
  const x509Data = d.createElementNS(DS_NS, 'ds:X509Data');
  for (const b64 of [sealB64, issuerB64(o.signer)]) {
    const c = d.createElementNS(DS_NS, 'ds:X509Certificate');
    c.appendChild(d.createTextNode(b64));
    x509Data.appendChild(c);
  }
  keyInfo.appendChild(x509Data);
  out.insertBefore(keyInfo, sv.nextSibling);
  return out;
}

function serialize(node: Node, hadDecl: boolean): Buffer {
  const s = new XMLSerializer().serializeToString(node as unknown as Parameters<XMLSerializer['serializeToString']>[0]);
  return Buffer.from((hadDecl && !s.startsWith('<?xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '') + s, 'utf8');
}

/** Parses XML strictly enough to reject non-XML (xmldom is lenient: errors become exceptions). */
export function parseXml(xml: Buffer): Document {
  setup();
  const text = xml.toString('utf8').replace(/^\uFEFF/, '');
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level: string, msg: string) => {
      if (level !== 'warning') errors.push(msg);
    },
  }).parseFromString(text, 'application/xml') as unknown as Document;
  if (errors.length || !doc || !doc.documentElement) throw new Error(`not well-formed XML: ${errors[0] ?? 'no root element'}`);
  return doc;
}

export function looksLikeXml(b: Buffer): boolean {
  const head = b.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return head.startsWith('<');
}

export async function xadesEnveloped(xml: Buffer, o: XadesOptions): Promise<Buffer> {
  const doc = parseXml(xml);
  const sig = await sign(doc, [{ uri: '', hash: 'SHA-256', transforms: ['enveloped', 'exc-c14n'] }], o);
  doc.documentElement.appendChild(sig);
  return serialize(doc, xml.toString('utf8', 0, 64).replace(/^\uFEFF/, '').startsWith('<?xml'));
}

export function detachedUri(fileName: string): string {
  return encodeURIComponent(fileName).replace(/%2F/gi, '/');
}

export async function xadesDetached(data: Buffer, fileName: string, o: XadesOptions): Promise<Buffer> {
  const sig = await sign(data, [{ uri: detachedUri(fileName), hash: 'SHA-256' }], o);
  return serialize(sig, true);
}

export interface XadesCheck {
  signatureValid: boolean;
  /** The signer's certificate (DER) from KeyInfo. */
  signerCert?: Buffer;
  certificates: Buffer[];
  signingTime?: Date;
  /** SigningCertificateV2 digest matches the KeyInfo certificate. */
  signingCertificateMatches?: boolean;
  /** DER tokens from SignatureTimeStamp/EncapsulatedTimeStamp. */
  timestampTokens: Buffer[];
  /** exc-c14n(ds:SignatureValue): the bytes the SignatureTimeStamp imprint covers. */
  signatureValueC14n?: Buffer;
  referenceUris: string[];
  error?: string;
}

/** Verifies every ds:Signature in an XML document (cryptographically; chain checks are the caller's). */
export async function verifyXades(xml: Buffer, detachedContent?: Buffer): Promise<XadesCheck[]> {
  const doc = parseXml(xml);
  const sigs = Array.from(doc.getElementsByTagNameNS(DS_NS, 'Signature') as unknown as ArrayLike<Element>);
  const out: XadesCheck[] = [];
  for (const sigEl of sigs) {
    const r: XadesCheck = { signatureValid: false, certificates: [], timestampTokens: [], referenceUris: [] };
    try {
      const certs = Array.from(sigEl.getElementsByTagNameNS(DS_NS, 'X509Certificate') as unknown as ArrayLike<Element>).map((e) =>
        Buffer.from((e.textContent ?? '').replace(/\s+/g, ''), 'base64'),
      );
      r.certificates = certs;
      r.signerCert = certs[0];
      r.referenceUris = Array.from(sigEl.getElementsByTagNameNS(DS_NS, 'Reference') as unknown as ArrayLike<Element>).map(
        (e) => e.getAttribute('URI') ?? '',
      );
      const st = firstByNs(sigEl, XADES_NS, 'SigningTime');
      if (st?.textContent) {
        const d = new Date(st.textContent.trim());
        if (!Number.isNaN(d.getTime())) r.signingTime = d;
      }
      const scv2 = firstByNs(sigEl, XADES_NS, 'SigningCertificateV2') ?? firstByNs(sigEl, XADES_NS, 'SigningCertificate');
      if (scv2 && r.signerCert) {
        const dm = firstByNs(scv2, DS_NS, 'DigestMethod')?.getAttribute('Algorithm') ?? '';
        const dv = firstByNs(scv2, DS_NS, 'DigestValue')?.textContent?.trim() ?? '';
        const alg = dm.endsWith('sha512') ? 'sha512' : dm.endsWith('sha384') ? 'sha384' : dm.endsWith('sha1') ? 'sha1' : 'sha256';
        r.signingCertificateMatches = createHash(alg).update(r.signerCert).digest('base64') === dv;
      }
      const sv = firstByNs(sigEl, DS_NS, 'SignatureValue');
      if (sv) r.signatureValueC14n = Buffer.from(excC14n(sv), 'utf8');
      for (const ts of Array.from(sigEl.getElementsByTagNameNS(XADES_NS, 'SignatureTimeStamp') as unknown as ArrayLike<Element>)) {
        for (const e of Array.from(ts.getElementsByTagNameNS(XADES_NS, 'EncapsulatedTimeStamp') as unknown as ArrayLike<Element>))
          r.timestampTokens.push(Buffer.from((e.textContent ?? '').replace(/\s+/g, ''), 'base64'));
      }
      const sx = new xadesjs.SignedXml(doc);
      sx.LoadXml(sigEl);
      r.signatureValid = detachedContent ? await sx.Verify({ content: new Uint8Array(detachedContent) }) : await sx.Verify();
    } catch (e) {
      r.error = (e as Error).message;
      r.signatureValid = false;
    }
    out.push(r);
  }
  return out;
}
