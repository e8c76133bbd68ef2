/**
 * Generates the upload-benchmark ZIP into a temp dir: about `targetBytes` on disk, half of it in
 * STORED entries of random bytes (I/O and CRC work), half in DEFLATED entries of compressible
 * text (real inflation work, ~3.5x expansion). Entries are 64 MiB stored / ~64 MiB compressed.
 */
import { randomFillSync } from 'node:crypto';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import zlib from 'node:zlib';
import yazl from 'yazl';

const MiB = 1024 * 1024;
const LEVEL = 6;

/** Deterministic xorshift PRNG, so the text blocks are the same on every run. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const WORDS = (
  'seal batch document signature certificate timestamp invoice contract annex page total net gross ' +
  'amount currency date signer qualified electronic validation policy revocation chain authority ' +
  'the of and to in for with on by at from as is be this that which or are was it not an'
).split(' ');

/** 16 different 1 MiB blocks of pseudo-business text, cycled (deflate's window is only 32 KiB). */
function textBlocks(): Buffer[] {
  const blocks: Buffer[] = [];
  for (let b = 0; b < 16; b++) {
    const rnd = prng(0x9e3779b9 + b);
    const parts: string[] = [];
    let len = 0;
    while (len < MiB) {
      const r = rnd();
      const w = r % 7 === 0 ? String(r % 100000) : WORDS[r % WORDS.length]!;
      const sep = r % 13 === 0 ? '\n' : ' ';
      parts.push(w, sep);
      len += w.length + 1;
    }
    blocks.push(Buffer.from(parts.join('')).subarray(0, MiB));
  }
  return blocks;
}

export interface ZipInfo {
  path: string;
  bytes: number;
  entries: number;
  uncompressedBytes: number;
  storedEntries: number;
  deflatedEntries: number;
}

/**
 * A minimal streaming ZIP writer (no ZIP64: every size and offset stays under 4 GiB), with data
 * descriptors like any streaming zipper. Deflated entries are made of pre-compressed 1 MiB blocks,
 * each ended with a full flush (so each is independent) and the stream closed by an empty final
 * block: a valid deflate stream the server must inflate in full, generated without recompressing
 * a gigabyte on every run.
 */
export async function makeBenchZip(file: string, targetBytes: number): Promise<ZipInfo> {
  if (targetBytes >= 4 * 1024 * MiB - 64 * MiB) throw new Error('makeBenchZip: no ZIP64 support, keep it under 4 GiB');
  const blocks = textBlocks();
  const packed = blocks.map((b) => ({
    raw: b,
    z: zlib.deflateRawSync(b, { level: LEVEL, finishFlush: zlib.constants.Z_FULL_FLUSH }),
  }));
  const FINAL = Buffer.from([0x03, 0x00]);
  const avgZ = packed.reduce((a, p) => a + p.z.length, 0) / packed.length;

  const half = Math.floor(targetBytes / 2);
  const entrySize = 64 * MiB;
  const storedCount = Math.max(1, Math.round(half / entrySize));
  const storedEach = Math.floor(half / storedCount / MiB) * MiB;
  const deflatedCount = storedCount;
  const blocksPerDeflated = Math.max(1, Math.round(half / deflatedCount / avgZ));

  const fh = await open(file, 'w');
  let offset = 0;
  const write = async (buf: Buffer) => {
    await fh.write(buf, 0, buf.length, offset);
    offset += buf.length;
  };
  const dosTime = 0; // 00:00:00
  const dosDate = ((2024 - 1980) << 9) | (1 << 5) | 1; // 2024-01-01
  interface Cd {
    name: Buffer;
    method: number;
    crc: number;
    csize: number;
    usize: number;
    offset: number;
  }
  const cds: Cd[] = [];
  let uncompressed = 0;
  const random = Buffer.allocUnsafe(MiB);
  try {
    for (let k = 0; k < storedCount + deflatedCount; k++) {
      const stored = k % 2 === 0; // interleave stored and deflated entries
      const idx = (k >> 1) + 1;
      const name = Buffer.from(stored ? `scan-${String(idx).padStart(2, '0')}.bin` : `ledger-${String(idx).padStart(2, '0')}.txt`);
      const method = stored ? 0 : 8;
      const lh = Buffer.alloc(30);
      lh.writeUInt32LE(0x04034b50, 0);
      lh.writeUInt16LE(20, 4); // version needed
      lh.writeUInt16LE(0x0808, 6); // data descriptor + UTF-8 names
      lh.writeUInt16LE(method, 8);
      lh.writeUInt16LE(dosTime, 10);
      lh.writeUInt16LE(dosDate, 12);
      // crc, sizes = 0 (in the data descriptor)
      lh.writeUInt16LE(name.length, 26);
      const entryOffset = offset;
      await write(Buffer.concat([lh, name]));
      let crc = 0;
      let csize = 0;
      let usize = 0;
      if (stored) {
        for (let n = 0; n < storedEach; n += MiB) {
          randomFillSync(random);
          crc = zlib.crc32(random, crc);
          await write(random);
          csize += MiB;
          usize += MiB;
        }
      } else {
        for (let i = 0; i < blocksPerDeflated; i++) {
          const p = packed[(i + idx) % packed.length]!;
          crc = zlib.crc32(p.raw, crc);
          await write(p.z);
          csize += p.z.length;
          usize += p.raw.length;
        }
        await write(FINAL);
        csize += FINAL.length;
      }
      const dd = Buffer.alloc(16);
      dd.writeUInt32LE(0x08074b50, 0);
      dd.writeUInt32LE(crc >>> 0, 4);
      dd.writeUInt32LE(csize, 8);
      dd.writeUInt32LE(usize, 12);
      await write(dd);
      cds.push({ name, method, crc: crc >>> 0, csize, usize, offset: entryOffset });
      uncompressed += usize;
    }
    const cdStart = offset;
    for (const c of cds) {
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(0x031e, 4); // made by: unix, 3.0
      h.writeUInt16LE(20, 6);
      h.writeUInt16LE(0x0808, 8);
      h.writeUInt16LE(c.method, 10);
      h.writeUInt16LE(dosTime, 12);
      h.writeUInt16LE(dosDate, 14);
      h.writeUInt32LE(c.crc, 16);
      h.writeUInt32LE(c.csize, 20);
      h.writeUInt32LE(c.usize, 24);
      h.writeUInt16LE(c.name.length, 28);
      h.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attrs: regular file 0644
      h.writeUInt32LE(c.offset, 42);
      await write(Buffer.concat([h, c.name]));
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(cds.length, 8);
    eocd.writeUInt16LE(cds.length, 10);
    eocd.writeUInt32LE(offset - cdStart, 12);
    eocd.writeUInt32LE(cdStart, 16);
    await write(eocd);
  } finally {
    await fh.close();
  }
  return {
    path: file,
    bytes: statSync(file).size,
    entries: cds.length,
    uncompressedBytes: uncompressed,
    storedEntries: storedCount,
    deflatedEntries: deflatedCount,
  };
}

/** A tiny valid one-entry ZIP (a minimal PDF named test.pdf) for seeding batches. */
export async function tinyZip(): Promise<Buffer> {
  const pdf = Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  );
  const zip = new yazl.ZipFile();
  zip.addBuffer(pdf, 'test.pdf', { mtime: new Date('2024-01-01T00:00:00Z') });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
