/**
 * The one table of file formats the sealing engine, the validator, the batch worker and the
 * conformance judge share: which name suffix marks a signature file and which data file it belongs
 * to (the sibling rule), what the validate process names its report, what a name says about a
 * document's type, and how a document's content is recognised. No other module spells a suffix
 * or sniffs a header.
 *
 *   SIGNATURE_FILES                          // .p7s, .p7m, .xades.xml
 *   signatureFileName(kind, dataName)        // "notes.txt" → "notes.txt.p7s"
 *   signatureFileOf(name)                    // which signature file kind a name is, with its data file's name
 *   siblingNamesFor(name)                    // the other files of a batch that validating `name` may need
 *   validationReportName(name)               // "notes.txt" → "notes.txt.validation.json"
 *   hasXmlName(name), mimeTypeOf(name)       // what the name says
 *   isPdf(bytes), hasPdfSignature(bytes), looksLikeXml(bytes), hasXmlDeclaration(bytes)   // what the content says
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

/** The suffix of a signature file kind (for messages such as "detached (.p7s)"). */
export const signatureSuffix = (kind: SignatureFileKind): string => byKind(kind).suffix;

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

/** The report the validate process writes beside each file. */
export const validationReportName = (name: string): string => `${name}.validation.json`;

/** The name says XML: such a file is sealed enveloped when it parses, detached when it does not. */
export const hasXmlName = (name: string): boolean => /\.xml$/i.test(name);

const MIME: Record<string, string> = {
  pdf: 'application/pdf',
  xml: 'text/xml',
  txt: 'text/plain',
  json: 'application/json',
  csv: 'text/csv',
  html: 'text/html',
  htm: 'text/html',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  zip: 'application/zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  odt: 'application/vnd.oasis.opendocument.text',
};

/** The media type a file's extension names (a detached XAdES signature declares it); unknown: octet-stream. */
export function mimeTypeOf(fileName: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  return MIME[ext] ?? 'application/octet-stream';
}

/** A PDF: `%PDF-` in the first KiB (readers accept leading junk before the header). */
export const isPdf = (b: Buffer): boolean => b.subarray(0, 1024).includes('%PDF-');

/** A PDF that already carries a signature (or document time-stamp) field: a new seal is appended as a revision. */
export const hasPdfSignature = (b: Buffer): boolean => b.includes('/ByteRange');

/** Starts (after a byte-order mark and white space) with markup. */
export const looksLikeXml = (b: Buffer): boolean =>
  b
    .subarray(0, 512)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('<');

/** Starts (after a byte-order mark and white space) with an XML declaration. */
export const hasXmlDeclaration = (b: Buffer): boolean =>
  b
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('<?xml');
