/**
 * The one table of file formats the signer and the validator share: which name suffix marks a
 * signature file, which data file it belongs to (the sibling rule), and how content is sniffed.
 *
 *   SIGNATURE_FILES                          // .p7s, .p7m, .xades.xml
 *   signatureFileName(kind, dataName)        // "notes.txt" → "notes.txt.p7s"
 *   signatureFileOf(name)                    // which signature file kind a name is, with its data file's name
 *   siblingNamesFor(name)                    // the other files of a batch that validating `name` may need
 *   isPdf(bytes), looksLikeXml(bytes), hasXmlDeclaration(bytes)
 */

export type SignatureFileKind = 'p7s' | 'p7m' | 'xades';

export interface SignatureFileFormat {
  kind: SignatureFileKind;
  /** Lower-case name suffix, with its dot. */
  suffix: string;
  format: 'CAdES' | 'XAdES';
  packaging: 'detached' | 'enveloping';
  /** A detached signature needs its data file: the same name without the suffix. */
  needsDataFile: boolean;
}

export const SIGNATURE_FILES: readonly SignatureFileFormat[] = [
  { kind: 'p7s', suffix: '.p7s', format: 'CAdES', packaging: 'detached', needsDataFile: true },
  { kind: 'p7m', suffix: '.p7m', format: 'CAdES', packaging: 'enveloping', needsDataFile: false },
  { kind: 'xades', suffix: '.xades.xml', format: 'XAdES', packaging: 'detached', needsDataFile: true },
];

const byKind = (kind: SignatureFileKind): SignatureFileFormat => SIGNATURE_FILES.find((f) => f.kind === kind)!;

export const signatureFileName = (kind: SignatureFileKind, dataName: string): string => `${dataName}${byKind(kind).suffix}`;

/** The signature-file format `name` has by its suffix, and the data file it signs (detached kinds). */
export function signatureFileOf(name: string): { format: SignatureFileFormat; dataName: string } | undefined {
  const lower = name.toLowerCase();
  // Longest suffix first, so "x.xades.xml" is XAdES, not merely XML.
  for (const format of [...SIGNATURE_FILES].sort((a, b) => b.suffix.length - a.suffix.length))
    if (lower.endsWith(format.suffix) && lower.length > format.suffix.length) return { format, dataName: name.slice(0, name.length - format.suffix.length) };
  return undefined;
}

/** The names of other files `name` may be validated with: its detached signatures, or its data file. */
export function siblingNamesFor(name: string): string[] {
  const out = SIGNATURE_FILES.filter((f) => f.needsDataFile).map((f) => `${name}${f.suffix}`);
  const own = signatureFileOf(name);
  if (own?.format.needsDataFile) out.push(own.dataName);
  return out;
}

export const isPdf = (b: Buffer): boolean => b.subarray(0, 1024).includes('%PDF-');

export const looksLikeXml = (b: Buffer): boolean => b.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart().startsWith('<');

export const hasXmlDeclaration = (b: Buffer): boolean => b.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart().startsWith('<?xml');
