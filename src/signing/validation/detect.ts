/**
 * Decides which signature a file of a validate batch carries, from its name (the formats table)
 * and its content:
 *   `X.p7s` + sibling `X`        CAdES detached        (also for `X` when the batch has `X.p7s`)
 *   `X.p7m`                      CAdES enveloping
 *   `X.xades.xml` + sibling `X`  XAdES detached        (also for `X` when the batch has `X.xades.xml`)
 *   `%PDF-` in the first 1 KiB   PAdES                 (every signature field)
 *   XML naming the xmldsig ns    XAdES enveloped
 *
 *   detect(name, bytes, sibling): Detected
 */
import { isPdf, looksLikeXml, signatureFileName, signatureFileOf } from '../formats.js';

export type Detected =
  | { kind: 'cades'; label: string; cms: Buffer; data?: Buffer; dataName?: string; enveloping: boolean }
  | { kind: 'xades-detached'; label: string; xml: Buffer; data?: Buffer; dataName: string }
  | { kind: 'pdf'; label: 'PAdES' }
  | { kind: 'xml'; label: 'XAdES enveloped' }
  | { kind: 'none' };

const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** What to check for `name`; `fallback` lists what to try when the content itself holds no signature. */
export function detect(name: string, bytes: Buffer, sibling: (n: string) => Buffer | undefined): { first: Detected; fallback: Detected[] } {
  const own = signatureFileOf(name);
  if (own?.format.kind === 'p7s') {
    const data = sibling(own.dataName);
    return {
      first: {
        kind: 'cades',
        label: `CAdES detached (${own.format.suffix})`,
        cms: bytes,
        ...(data ? { data } : {}),
        dataName: own.dataName,
        enveloping: false,
      },
      fallback: [],
    };
  }
  if (own?.format.kind === 'p7m')
    return { first: { kind: 'cades', label: `CAdES enveloping (${own.format.suffix})`, cms: bytes, enveloping: true }, fallback: [] };
  if (own?.format.kind === 'xades') {
    const data = sibling(own.dataName);
    return { first: { kind: 'xades-detached', label: 'XAdES detached', xml: bytes, ...(data ? { data } : {}), dataName: own.dataName }, fallback: [] };
  }
  const fallback: Detected[] = [];
  const p7sName = signatureFileName('p7s', name);
  const p7s = sibling(p7sName);
  if (p7s) fallback.push({ kind: 'cades', label: `CAdES detached (signature in ${p7sName})`, cms: p7s, data: bytes, enveloping: false });
  const xdName = signatureFileName('xades', name);
  const xd = sibling(xdName);
  if (xd) fallback.push({ kind: 'xades-detached', label: `XAdES detached (signature in ${xdName})`, xml: xd, data: bytes, dataName: name });
  if (isPdf(bytes)) return { first: { kind: 'pdf', label: 'PAdES' }, fallback };
  if (looksLikeXml(bytes) && bytes.includes(XMLDSIG_NS)) return { first: { kind: 'xml', label: 'XAdES enveloped' }, fallback };
  return { first: fallback.shift() ?? { kind: 'none' }, fallback };
}
