import yauzl from 'yauzl';
import yazl from 'yazl';

/**
 * The documents the conformance kit sends: made here, small and harmless, so the kit needs no
 * files and the bytes that leave the machine are known up front (`--dry-run` lists them).
 */

/** A one-page PDF with a correct cross-reference table, written by hand (no library). */
export function minimalPdf(text = 'seal-simulator conformance kit'): Buffer {
  const content = `BT /F1 18 Tf 72 720 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

export function zipOf(files: { name: string; bytes: Buffer }[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile();
    for (const f of files) zip.addBuffer(f.bytes, f.name, { mtime: new Date(Date.UTC(2026, 0, 1)) });
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** The files of the kit's package: one the process should seal, one a PDF-only process fails. */
export const KIT_FILES = ['doc.pdf', 'note.txt'] as const;

export interface KitPackages {
  /** doc.pdf + note.txt */
  valid: Buffer;
  /** a file inside a folder (the vendor wants a flat ZIP) */
  folder: Buffer;
  /** a ZIP with no entries */
  empty: Buffer;
  /** bytes that are not a ZIP at all */
  notZip: Buffer;
}

export async function kitPackages(): Promise<KitPackages> {
  const pdf = minimalPdf();
  const note = Buffer.from('A text file: a PDF-only process cannot seal it.\n');
  return {
    valid: await zipOf([
      { name: KIT_FILES[0], bytes: pdf },
      { name: KIT_FILES[1], bytes: note },
    ]),
    folder: await zipOf([{ name: `folder/${KIT_FILES[0]}`, bytes: pdf }]),
    empty: await zipOf([]),
    notZip: Buffer.from('This is plain text, not a ZIP archive.\n'),
  };
}

/** Entry names of a ZIP held in memory; null when the bytes are not a readable ZIP. */
export function zipEntryNames(bytes: Buffer): Promise<string[] | null> {
  return new Promise((resolve) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, strictFileNames: false, validateEntrySizes: false }, (err, zip) => {
      if (err || !zip) return resolve(null);
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', () => resolve(null));
      zip.readEntry();
    });
  });
}
