/**
 * XAdES baseline signatures (ETSI EN 319 132-1): B-B, B-T and B-LT.
 *
 *   xadesEnveloped(xml: Buffer, o: XadesOptions): Promise<Buffer>       // <ds:Signature> appended to the root
 *   xadesDetached(data: Buffer, fileName: string, o: XadesOptions): Promise<Buffer>
 *        // a standalone <ds:Signature> whose Reference URI is the (URI-escaped) file name: `<name>.xades.xml`
 *
 * The signature is written as text already in exclusive canonical form (exc-c14n: prefixed
 * elements only, namespace declarations where exc-c14n renders them, attributes sorted, no
 * self-closing tags), so SignedInfo and SignedProperties are digested and signed from the very
 * strings that go into the file, without a DOM round trip. The enveloped signature is spliced in
 * before the root's end tag: the document's own bytes are not re-serialised, and the
 * enveloped-signature transform gives back exactly the input.
 *
 * Signed properties: SigningTime, SigningCertificateV2 (CertDigest + IssuerSerialV2), and one
 * DataObjectFormat (MimeType) per signed data object, referring to the data Reference by its Id.
 * B-T: a SignatureTimeStamp over sha256(exc-c14n(ds:SignatureValue)) from the simulator's TSA.
 * B-LT: B-T plus xades:CertificateValues (certificates not already in KeyInfo) and
 * xades:RevocationValues (the CA's CRL, OCSP responses when there are any).
 */
import { createHash, randomBytes, sign as cryptoSign } from 'node:crypto';
import { XMLSerializer } from '@xmldom/xmldom';
import { parseXml, xadesReady } from './xades-env.js';
import { hasXmlDeclaration, mimeTypeOf } from './formats.js';
import { XmlDsigExcC14NTransform } from 'xmldsigjs';
import type { Identity } from './pki-material.js';
import { issuerSerialDer } from './cms.js';

/** The document to seal is read with the parser validation uses (engine.ts loads this module lazily). */
export { parseXml } from './xades-env.js';

const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const XADES_NS = 'http://uri.etsi.org/01903/v1.3.2#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SIGNED_PROPS_TYPE = 'http://uri.etsi.org/01903#SignedProperties';

export interface XadesOptions {
  signer: Identity;
  now: Date;
  /** sha256 digest → TimeStampToken DER; makes XAdES-B-T. */
  timestamp?: (digest: Buffer) => Buffer;
  /** Certificates, CRLs and OCSP responses (DER) embedded as XAdES-B-LT values. */
  ltv?: { certs: Buffer[]; crls: Buffer[]; ocsps: Buffer[] };
}

const b64Cache = new WeakMap<Buffer, string>();
function b64Of(der: Buffer): string {
  let v = b64Cache.get(der);
  if (!v) b64Cache.set(der, (v = der.toString('base64')));
  return v;
}

export function excC14n(node: Node): string {
  xadesReady();
  const t = new XmlDsigExcC14NTransform();
  t.LoadInnerXml(node);
  return t.GetOutput();
}

/** Text content escaped as exc-c14n writes it. */
const text = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
/** Attribute value escaped as exc-c14n writes it. */
const attrv = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
const b64sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('base64');

/** Element with (already sorted) attributes, in canonical form. */
function el(name: string, attrs: [string, string][], inner = ''): string {
  return `<${name}${attrs.map(([k, v]) => ` ${k}="${attrv(v)}"`).join('')}>${inner}</${name}>`;
}
const DSNS: [string, string] = ['xmlns:ds', DS_NS];
const XNS: [string, string] = ['xmlns:xades', XADES_NS];

interface DataRef {
  uri: string;
  transforms: string[];
  digestB64: string;
  mimeType: string;
}

const isoSecond = (d: Date): string => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** Builds the ds:Signature text for data references `refs` (each in canonical form where signed). */
function buildSignature(refs: DataRef[], o: XadesOptions): string {
  const id = `id-${randomBytes(8).toString('hex')}`;
  const ec = o.signer.key.asymmetricKeyType === 'ec';
  const cert = o.signer.cert;
  const propsId = `${id}-signedprops`;
  const refId = (i: number): string => `${id}-ref${i}`;
  // exc-c14n renders xmlns:ds on each ds: element whose output ancestors do not already render it.
  const dsDigest = (b64: string): string => el('ds:DigestMethod', [DSNS, ['Algorithm', SHA256]]) + el('ds:DigestValue', [DSNS], b64);
  const signedProps = el(
    'xades:SignedProperties',
    [XNS, ['Id', propsId]],
    el(
      'xades:SignedSignatureProperties',
      [],
      el('xades:SigningTime', [], isoSecond(o.now)) +
        el(
          'xades:SigningCertificateV2',
          [],
          el('xades:Cert', [], el('xades:CertDigest', [], dsDigest(b64Of(cert.sha256))) + el('xades:IssuerSerialV2', [], b64Of(issuerSerialDer(cert)))),
        ),
    ) +
      el(
        'xades:SignedDataObjectProperties',
        [],
        refs.map((r, i) => el('xades:DataObjectFormat', [['ObjectReference', `#${refId(i)}`]], el('xades:MimeType', [], text(r.mimeType)))).join(''),
      ),
  );
  const digest = (b64: string): string => el('ds:DigestMethod', [['Algorithm', SHA256]]) + el('ds:DigestValue', [], b64);
  const transforms = (ts: string[]): string => (ts.length ? el('ds:Transforms', [], ts.map((t) => el('ds:Transform', [['Algorithm', t]])).join('')) : '');
  const signedInfo = el(
    'ds:SignedInfo',
    [DSNS],
    el('ds:CanonicalizationMethod', [['Algorithm', EXC_C14N]]) +
      el('ds:SignatureMethod', [['Algorithm', `http://www.w3.org/2001/04/xmldsig-more#${ec ? 'ecdsa' : 'rsa'}-sha256`]]) +
      refs
        .map((r, i) =>
          el(
            'ds:Reference',
            [
              ['Id', refId(i)],
              ['URI', r.uri],
            ],
            transforms(r.transforms) + digest(r.digestB64),
          ),
        )
        .join('') +
      el(
        'ds:Reference',
        [
          ['Type', SIGNED_PROPS_TYPE],
          ['URI', `#${propsId}`],
        ],
        transforms([EXC_C14N]) + digest(b64sha256(signedProps)),
      ),
  );
  const sigValue = cryptoSign('sha256', Buffer.from(signedInfo, 'utf8'), ec ? { key: o.signer.key, dsaEncoding: 'ieee-p1363' } : o.signer.key).toString(
    'base64',
  );
  const svId = `${id}-sigvalue`;
  const keyInfoCerts = [cert.der, o.signer.issuer.der];
  const unsigned: string[] = [];
  if (o.timestamp) {
    const svC14n = el('ds:SignatureValue', [DSNS, ['Id', svId]], sigValue);
    const token = o.timestamp(createHash('sha256').update(svC14n, 'utf8').digest());
    unsigned.push(
      el(
        'xades:SignatureTimeStamp',
        [['Id', `${id}-sigts`]],
        el('ds:CanonicalizationMethod', [['Algorithm', EXC_C14N]]) + el('xades:EncapsulatedTimeStamp', [], b64Of(token)),
      ),
    );
  }
  if (o.ltv) {
    const extra = o.ltv.certs.filter((c) => !keyInfoCerts.some((k) => k.equals(c)));
    if (extra.length) unsigned.push(el('xades:CertificateValues', [], extra.map((c) => el('xades:EncapsulatedX509Certificate', [], b64Of(c))).join('')));
    const crl = o.ltv.crls.length ? el('xades:CRLValues', [], o.ltv.crls.map((c) => el('xades:EncapsulatedCRLValue', [], b64Of(c))).join('')) : '';
    const ocsp = o.ltv.ocsps.length ? el('xades:OCSPValues', [], o.ltv.ocsps.map((c) => el('xades:EncapsulatedOCSPValue', [], b64Of(c))).join('')) : '';
    if (crl || ocsp) unsigned.push(el('xades:RevocationValues', [], crl + ocsp));
  }
  const qualifying = el(
    'xades:QualifyingProperties',
    [XNS, ['Target', `#${id}`]],
    signedProps + (unsigned.length ? el('xades:UnsignedProperties', [], el('xades:UnsignedSignatureProperties', [], unsigned.join(''))) : ''),
  );
  return el(
    'ds:Signature',
    [DSNS, ['Id', id]],
    signedInfo +
      el('ds:SignatureValue', [['Id', svId]], sigValue) +
      el('ds:KeyInfo', [], el('ds:X509Data', [], keyInfoCerts.map((c) => el('ds:X509Certificate', [], b64Of(c))).join(''))) +
      el('ds:Object', [], qualifying),
  );
}

function serialize(node: Node, hadDecl: boolean): Buffer {
  const s = new XMLSerializer().serializeToString(node as unknown as Parameters<XMLSerializer['serializeToString']>[0]);
  return Buffer.from((hadDecl && !s.startsWith('<?xml') ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '') + s, 'utf8');
}

/** Byte offset of the root element's end tag, when only whitespace, comments or PIs follow it. */
function rootEndTag(xml: Buffer, tagName: string): number {
  const at = xml.lastIndexOf(Buffer.from(`</${tagName}`, 'utf8'));
  if (at < 0) return -1;
  const rest = xml.subarray(at + 2 + Buffer.byteLength(tagName)).toString('utf8');
  return /^\s*>(\s|<!--[\s\S]*?-->|<\?[\s\S]*?\?>)*$/.test(rest) ? at : -1;
}

/** `parsed`: the document from parseXml(xml), when the caller already has it (parsing is the main cost). */
export async function xadesEnveloped(xml: Buffer, o: XadesOptions, parsed?: Document): Promise<Buffer> {
  const doc = parsed ?? parseXml(xml);
  // URI="" with the enveloped-signature transform: the whole document (comments removed) before
  // the signature is added, canonicalised.
  const digestB64 = b64sha256(Buffer.from(excC14n(doc), 'utf8'));
  const sig = buildSignature([{ uri: '', transforms: [ENVELOPED, EXC_C14N], digestB64, mimeType: 'text/xml' }], o);
  const at = rootEndTag(xml, doc.documentElement.tagName);
  if (at >= 0) return Buffer.concat([xml.subarray(0, at), Buffer.from(sig, 'utf8'), xml.subarray(at)]);
  // A self-closing root (or an end tag that cannot be found textually): append through the DOM.
  const frag = parseXml(Buffer.from(sig, 'utf8')).documentElement;
  doc.documentElement.appendChild(doc.importNode(frag, true));
  return serialize(doc, hasXmlDeclaration(xml));
}

export function detachedUri(fileName: string): string {
  return encodeURIComponent(fileName).replace(/%2F/gi, '/');
}

export async function xadesDetached(data: Buffer, fileName: string, o: XadesOptions): Promise<Buffer> {
  const sig = buildSignature([{ uri: detachedUri(fileName), transforms: [], digestB64: b64sha256(data), mimeType: mimeTypeOf(fileName) }], o);
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${sig}`, 'utf8');
}
