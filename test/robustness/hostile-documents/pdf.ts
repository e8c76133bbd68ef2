import { constants, deflateRawSync, deflateSync } from 'node:zlib';

/** One indirect object: its dictionary/array text, and optionally stream data (already encoded). */
export interface PdfObject {
  body: string;
  stream?: Buffer;
}

/**
 * A PDF with correct xref offsets from its objects (numbered from 1), and a trailer naming object 1
 * as /Root. `xref: false` leaves out the classic table (for cross-reference streams); `trailer`
 * adds entries to the trailer dictionary.
 */
export function buildPdf(objects: PdfObject[], opts: { version?: string; xref?: boolean; trailer?: string; startxref?: number } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from(`%PDF-${opts.version ?? '1.4'}\n%\xe2\xe3\xcf\xd3\n`, 'latin1')];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  const push = (b: Buffer): void => {
    parts.push(b);
    length += b.length;
  };
  objects.forEach((o, i) => {
    offsets.push(length);
    if (o.stream) {
      push(Buffer.from(`${i + 1} 0 obj\n${o.body}\nstream\n`, 'latin1'));
      push(o.stream);
      push(Buffer.from('\nendstream\nendobj\n', 'latin1'));
    } else {
      push(Buffer.from(`${i + 1} 0 obj\n${o.body}\nendobj\n`, 'latin1'));
    }
  });
  const xrefAt = length;
  if (opts.xref !== false) {
    let table = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
    for (const off of offsets) table += `${String(off).padStart(10, '0')} 00000 n \n`;
    table += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${opts.trailer ?? ''}>>\n`;
    push(Buffer.from(table, 'latin1'));
  }
  push(Buffer.from(`startxref\n${opts.startxref ?? (opts.xref === false ? offsets[offsets.length - 1] : xrefAt)}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

/** Offsets of each object if `buildPdf` laid them out (for documents that point at themselves). */
export function offsetsOf(objects: PdfObject[], version = '1.4'): number[] {
  const pdf = buildPdf(objects, { version, xref: false, startxref: 0 });
  const out: number[] = [];
  let from = 0;
  for (let i = 0; i < objects.length; i++) {
    const at = pdf.indexOf(`${i + 1} 0 obj\n`, from, 'latin1');
    out.push(at);
    from = at + 1;
  }
  return out;
}

/**
 * zlib data that inflates to `head` followed by `inflated - head.length` bytes of `fill`: ~1 KB of
 * output per MB, so a 1000 MB bomb is a 1 MB stream. Built from one compressed 1 MiB block
 * repeated (each block ends with a full flush, so it refers to nothing before it) and a checksum
 * computed in closed form: instant to make, whatever its inflated size.
 */
export function deflateBomb(head: string, inflated: number, fill = 0x20): Buffer {
  const CHUNK = 1 << 20;
  const full = { finishFlush: constants.Z_FULL_FLUSH, level: constants.Z_BEST_COMPRESSION };
  const headBytes = Buffer.from(head, 'latin1');
  const runs = Math.floor((inflated - headBytes.length) / CHUNK);
  const rest = inflated - headBytes.length - runs * CHUNK;
  const block = deflateRawSync(Buffer.alloc(CHUNK, fill), full);
  const parts = [Buffer.from([0x78, 0xda]), deflateRawSync(headBytes, full)];
  for (let i = 0; i < runs; i++) parts.push(block);
  if (rest > 0) parts.push(deflateRawSync(Buffer.alloc(rest, fill), full));
  parts.push(Buffer.from([0x03, 0x00])); // an empty final block
  // Adler-32: of the head, then extended by a run of `fill` bytes in closed form.
  const M = 65521n;
  let a = 1n;
  let b = 0n;
  for (const byte of headBytes) {
    a = (a + BigInt(byte)) % M;
    b = (b + a) % M;
  }
  const L = BigInt(inflated - headBytes.length);
  const c = BigInt(fill);
  b = (b + L * a + (c * L * (L + 1n)) / 2n) % M;
  a = (a + c * L) % M;
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(Number((b << 16n) | a));
  parts.push(sum);
  return Buffer.concat(parts);
}

export const deflate = (s: string): Buffer => deflateSync(Buffer.from(s, 'latin1'));

/** A page that draws one line of text (object numbers given). */
export const PAGE = (parent: number): string => `<< /Type /Page /Parent ${parent} 0 R /MediaBox [0 0 200 100] >>`;
