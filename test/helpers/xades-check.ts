/**
 * The XAdES signatures of an XML document as a test inspects them: what each carries (certificates,
 * signing time, time-stamp tokens, references) and whether xadesjs's own Verify accepts it, without
 * the validator's checks (src/signing/validation/xades.ts), so a test of the sealer does not check
 * it with the code under test.
 */
import { createHash } from 'node:crypto';
import * as xadesjs from 'xadesjs';
import { excC14n, parseXml } from '../../src/signing/xades.js';

const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const XADES_NS = 'http://uri.etsi.org/01903/v1.3.2#';

function firstByNs(root: Element | Document, ns: string, local: string): Element | undefined {
  const list = root.getElementsByTagNameNS(ns, local);
  return list.length ? (list[0] as Element) : undefined;
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
      r.referenceUris = Array.from(sigEl.getElementsByTagNameNS(DS_NS, 'Reference') as unknown as ArrayLike<Element>).map((e) => e.getAttribute('URI') ?? '');
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
