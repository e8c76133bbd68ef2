/**
 * The committed ZIP fixtures (fixtures/zips/), how each is made, and what inspecting it must give.
 * `scripts/make-zip-fixtures.ts` writes them; `inspect-zip.test.ts` checks them; fixtures/README.md
 * explains them. Keep the three in step.
 */
import { PassThrough } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import yazl from 'yazl';
import type { ZipLimits } from '../../../src/archive/limits.js';
import { buildZip } from './raw-zip.js';

export type Expectation = { ok: true; names: string[] } | { ok: false; code: 'package_invalid' | 'package_too_large'; reason: string; entry?: string | number };

export interface ZipFixture {
  file: string;
  build: () => Buffer | Promise<Buffer>;
  expect: Expectation;
  /** Limits to inspect with, when not the defaults. */
  limits?: Partial<ZipLimits>;
}

const MTIME = new Date(Date.UTC(2024, 0, 1, 12, 0, 0));

export { tinyPdf, tinyTxt, tinyXml } from '../../helpers/documents.js';
import { tinyPdf, tinyTxt, tinyXml } from '../../helpers/documents.js';

type YazlAdd = (zip: yazl.ZipFile) => void;

/** Run yazl to completion in memory (fixtures are tiny). */
export async function yazlZip(add: YazlAdd, end: Partial<yazl.EndOptions> = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', resolve);
    zip.outputStream.on('error', reject);
    zip.on('error', reject);
  });
  add(zip);
  zip.end(end as yazl.EndOptions);
  await done;
  return Buffer.concat(chunks);
}

const flatThree: YazlAdd = (zip) => {
  zip.addBuffer(tinyPdf(), 'contract.pdf', { mtime: MTIME });
  zip.addBuffer(tinyXml(), 'invoice.xml', { mtime: MTIME });
  zip.addBuffer(tinyTxt(), 'notes.txt', { mtime: MTIME });
};

const invalid = (reason: string, entry?: string | number): Expectation => ({
  ok: false,
  code: 'package_invalid',
  reason,
  ...(entry === undefined ? {} : { entry }),
});
const tooLarge = (reason: string, entry?: string | number): Expectation => ({
  ok: false,
  code: 'package_too_large',
  reason,
  ...(entry === undefined ? {} : { entry }),
});

const pdf = { data: tinyPdf() };

export const zipFixtures: ZipFixture[] = [
  // ---- valid
  { file: 'valid-flat.zip', build: () => yazlZip(flatThree), expect: { ok: true, names: ['contract.pdf', 'invoice.xml', 'notes.txt'] } },
  {
    file: 'valid-single.zip',
    // addReadStream: yazl writes a data descriptor (flag bit 3), the shape streaming zippers produce.
    build: () =>
      yazlZip((zip) => {
        const s = new PassThrough();
        s.end(tinyPdf());
        zip.addReadStream(s, 'contract.pdf', { mtime: MTIME });
      }),
    expect: { ok: true, names: ['contract.pdf'] },
  },
  {
    file: 'valid-stored.zip',
    build: () =>
      yazlZip((zip) => {
        zip.addBuffer(tinyPdf(), 'contract.pdf', { mtime: MTIME, compress: false });
        zip.addBuffer(tinyTxt(), 'notes.txt', { mtime: MTIME, compress: false });
        zip.addBuffer(Buffer.alloc(0), 'empty.txt', { mtime: MTIME, compress: false });
      }),
    expect: { ok: true, names: ['contract.pdf', 'notes.txt', 'empty.txt'] },
  },
  {
    file: 'valid-utf8-names.zip',
    build: () =>
      yazlZip((zip) => {
        zip.addBuffer(tinyPdf('Umowa'), 'Umowa – zażółć gęślą jaźń.pdf', { mtime: MTIME });
        zip.addBuffer(tinyXml(), '請求書.xml', { mtime: MTIME });
        zip.addBuffer(tinyTxt(), 'Ñandú.txt', { mtime: MTIME });
      }),
    expect: { ok: true, names: ['Umowa – zażółć gęślą jaźń.pdf', '請求書.xml', 'Ñandú.txt'] },
  },
  {
    file: 'valid-cp437-name.zip',
    // No UTF-8 flag; 0x82 is "é" in IBM437, as old Windows/DOS zippers write it.
    build: () => buildZip([{ name: Buffer.from([0x82, ...Buffer.from('tude.txt')]), data: tinyTxt() }]),
    expect: { ok: true, names: ['étude.txt'] },
  },
  {
    file: 'valid-zip64.zip',
    build: () =>
      yazlZip(
        (zip) => {
          zip.addBuffer(tinyPdf(), 'contract.pdf', { mtime: MTIME, forceZip64Format: true });
          zip.addBuffer(tinyTxt(), 'notes.txt', { mtime: MTIME, forceZip64Format: true });
        },
        { forceZip64Format: true },
      ),
    expect: { ok: true, names: ['contract.pdf', 'notes.txt'] },
  },

  // ---- not a (whole) ZIP
  { file: 'not-a-zip.zip', build: () => tinyPdf(), expect: invalid('not-a-zip') },
  {
    file: 'truncated.zip',
    build: async () => {
      const whole = await yazlZip(flatThree);
      return whole.subarray(0, Math.floor(whole.length * 0.6));
    },
    expect: invalid('truncated-archive'),
  },
  {
    file: 'corrupt-central-directory.zip',
    // The EOCD points the central directory at offset 0, where a local header sits.
    build: () => buildZip([{ name: 'contract.pdf', ...pdf }], { centralDirectoryOffset: 0 }),
    expect: invalid('corrupt-archive', 1),
  },
  { file: 'multi-disk.zip', build: () => buildZip([{ name: 'contract.pdf', ...pdf }], { diskNumber: 1 }), expect: invalid('multi-disk-archive') },
  { file: 'empty.zip', build: () => buildZip([]), expect: invalid('empty-archive') },
  {
    file: 'too-many-entries.zip',
    build: () => buildZip(Array.from({ length: 1001 }, (_, i) => ({ name: String(i + 1).padStart(4, '0'), method: 0 }))),
    expect: invalid('too-many-entries'),
  },

  // ---- names
  {
    file: 'directory-entry.zip',
    build: () =>
      yazlZip((zip) => {
        zip.addEmptyDirectory('docs/', { mtime: MTIME });
        zip.addBuffer(tinyPdf(), 'contract.pdf', { mtime: MTIME });
      }),
    expect: invalid('directory-entry', 'docs/'),
  },
  {
    file: 'directory-attribute.zip',
    // No trailing slash, but the Unix mode says "directory".
    build: () => buildZip([{ name: 'docs', method: 0, externalAttributes: (0o040755 << 16) | 0x10 }]),
    expect: invalid('directory-entry', 'docs'),
  },
  {
    file: 'nested-path.zip',
    build: () => yazlZip((zip) => zip.addBuffer(tinyPdf(), 'docs/contract.pdf', { mtime: MTIME })),
    expect: invalid('nested-path', 'docs/contract.pdf'),
  },
  { file: 'path-traversal.zip', build: () => buildZip([{ name: '../evil.pdf', ...pdf }]), expect: invalid('path-traversal', '../evil.pdf') },
  { file: 'absolute-path.zip', build: () => buildZip([{ name: '/etc/evil.pdf', ...pdf }]), expect: invalid('absolute-path', '/etc/evil.pdf') },
  { file: 'absolute-drive-path.zip', build: () => buildZip([{ name: 'C:evil.pdf', ...pdf }]), expect: invalid('absolute-path', 'C:evil.pdf') },
  { file: 'backslash.zip', build: () => buildZip([{ name: 'docs\\contract.pdf', ...pdf }]), expect: invalid('backslash-in-name', 'docs\\contract.pdf') },
  {
    file: 'nul-in-name.zip',
    build: () => buildZip([{ name: 'invoice.pdf\u0000.exe', ...pdf }]),
    expect: invalid('control-character-in-name', 'invoice.pdf\u0000.exe'),
  },
  {
    file: 'bidi-override-name.zip',
    build: () => buildZip([{ name: 'invoice\u202Efdp.exe', ...pdf }]),
    expect: invalid('control-character-in-name', 'invoice\u202Efdp.exe'),
  },
  {
    file: 'name-too-long.zip',
    build: () => buildZip([{ name: `${'a'.repeat(300)}.pdf`, ...pdf }]),
    expect: invalid('name-too-long', `${'a'.repeat(300)}.pdf`),
  },
  { file: 'empty-name.zip', build: () => buildZip([{ name: '', ...pdf }]), expect: invalid('empty-name', 1) },
  {
    file: 'invalid-utf8-name.zip',
    build: () => buildZip([{ name: Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x70, 0x64, 0x66]), flags: 0x800, ...pdf }]),
    expect: invalid('invalid-name-encoding', 1),
  },
  { file: 'windows-reserved-name.zip', build: () => buildZip([{ name: 'aux.pdf', ...pdf }]), expect: invalid('windows-invalid-name', 'aux.pdf') },
  {
    file: 'duplicate-name.zip',
    build: () =>
      yazlZip((zip) => {
        zip.addBuffer(tinyPdf('one'), 'Report.pdf', { mtime: MTIME });
        zip.addBuffer(tinyPdf('two'), 'report.PDF', { mtime: MTIME });
      }),
    expect: invalid('duplicate-name', 'report.PDF'),
  },

  // ---- kinds and encodings
  {
    file: 'symlink.zip',
    build: () => yazlZip((zip) => zip.addBuffer(Buffer.from('/etc/passwd'), 'contract.pdf', { mtime: MTIME, compress: false, mode: 0o120777 })),
    expect: invalid('symlink', 'contract.pdf'),
  },
  {
    file: 'valid-fifo-mode.zip',
    // What `cat notes.txt | zip out.zip -` writes: the entry "-" carries the pipe's FIFO mode.
    // Accepted: it is plain data, and no unzip tool recreates a FIFO.
    build: () => buildZip([{ name: 'notes.txt', data: tinyTxt(), externalAttributes: 0o010644 << 16 }]),
    expect: { ok: true, names: ['notes.txt'] },
  },
  {
    file: 'encrypted.zip',
    // ZipCrypto: flag bit 0, and a 12-byte encryption header before the (here random-looking) data.
    build: () => buildZip([{ name: 'secret.pdf', method: 0, flags: 0x801, compressed: Buffer.alloc(12 + 20, 0x5a), uncompressedSize: 20, compressedSize: 32 }]),
    expect: invalid('encrypted-entry', 'secret.pdf'),
  },
  {
    file: 'strong-encrypted.zip',
    // PKWARE strong encryption (flag bit 6): yauzl refuses the record before emitting the entry.
    build: () => buildZip([{ name: 'secret.pdf', ...pdf, flags: 0x841 }]),
    expect: invalid('encrypted-entry', 1),
  },
  {
    file: 'unsupported-compression.zip',
    build: () => buildZip([{ name: 'contract.pdf', method: 12, data: tinyPdf(), compressed: Buffer.from('BZh91AY&SY fake bzip2') }]),
    expect: invalid('unsupported-compression', 'contract.pdf'),
  },

  // ---- data and bombs
  {
    file: 'compression-ratio-bomb.zip',
    // 4 MiB of zeros deflate to about 4 KB: a ratio near 1000:1 (limit 200:1).
    build: () => yazlZip((zip) => zip.addBuffer(Buffer.alloc(4 * 1024 * 1024), 'zeros.pdf', { mtime: MTIME, compressionLevel: 9 })),
    expect: invalid('compression-ratio', 'zeros.pdf'),
  },
  {
    file: 'under-declared-size.zip',
    // Headers say 1000 bytes; the deflate stream really holds 512 KiB of zeros.
    build: () => {
      const real = Buffer.alloc(512 * 1024);
      return buildZip([{ name: 'small.pdf', compressed: deflateRawSync(real, { level: 9 }), uncompressedSize: 1000, data: real.subarray(0, 1000) }]);
    },
    expect: invalid('size-mismatch', 'small.pdf'),
  },
  {
    file: 'over-declared-size.zip',
    // Headers say 5000 bytes; the data inflates to the 40-odd bytes of tinyTxt.
    build: () => buildZip([{ name: 'notes.txt', data: tinyTxt(), uncompressedSize: 5000 }]),
    expect: invalid('size-mismatch', 'notes.txt'),
  },
  {
    file: 'entry-too-large.zip',
    // The header declares 300 MiB (limit 256 MiB): refused from the header, nothing is inflated.
    build: () => buildZip([{ name: 'huge.pdf', data: tinyTxt(), uncompressedSize: 300 * 1024 * 1024 }]),
    expect: tooLarge('entry-too-large', 'huge.pdf'),
  },
  {
    file: 'overlapping-entries.zip',
    // Two central-directory records point at the same local header and data.
    build: () =>
      buildZip([
        { name: 'a.txt', data: tinyTxt() },
        { name: 'b.txt', data: tinyTxt(), sharesLocalOf: 0 },
      ]),
    expect: invalid('overlapping-entries', 'b.txt'),
  },
  {
    file: 'hidden-entry.zip',
    // "payload.exe" has a local header and data but no central-directory record: streaming readers
    // extract it, central-directory readers never see it.
    build: () =>
      buildZip([
        { name: 'payload.exe', data: tinyTxt(), unlisted: true },
        { name: 'contract.pdf', ...pdf },
      ]),
    expect: invalid('hidden-data'),
  },
  {
    file: 'header-mismatch.zip',
    // The central directory says "invoice.txt"; the local header (what streaming unzippers read) says "invoice.exe".
    build: () => buildZip([{ name: 'invoice.txt', data: tinyTxt(), local: { name: 'invoice.exe' } }]),
    expect: invalid('header-mismatch', 'invoice.txt'),
  },
  {
    file: 'crc-mismatch.zip',
    build: () => buildZip([{ name: 'contract.pdf', ...pdf, crc32: 0xdeadbeef }]),
    expect: invalid('crc-mismatch', 'contract.pdf'),
  },
  {
    file: 'corrupt-entry-data.zip',
    // 0xFF… starts a deflate block of the reserved type 3.
    build: () => buildZip([{ name: 'contract.pdf', data: tinyTxt(), compressed: Buffer.alloc(64, 0xff) }]),
    expect: invalid('corrupt-entry-data', 'contract.pdf'),
  },
  {
    file: 'trailing-data-in-entry.zip',
    // A complete deflate stream followed by bytes no inflater reads: room to smuggle content.
    build: () => buildZip([{ name: 'notes.txt', data: tinyTxt(), compressed: Buffer.concat([deflateRawSync(tinyTxt()), Buffer.from('HIDDEN PAYLOAD')]) }]),
    expect: invalid('corrupt-entry-data', 'notes.txt'),
  },
];

/** Inspections of valid fixtures under tightened limits (no extra files needed). */
export const limitCases: Array<{ title: string; file: string; limits: Partial<ZipLimits>; expect: Expectation }> = [
  { title: 'an entry beyond maxEntryBytes', file: 'valid-flat.zip', limits: { maxEntryBytes: 200 }, expect: tooLarge('entry-too-large', 'contract.pdf') },
  { title: 'files beyond maxTotalBytes together', file: 'valid-flat.zip', limits: { maxTotalBytes: 600 }, expect: tooLarge('total-too-large', 'invoice.xml') },
  { title: 'more files than maxEntries', file: 'valid-flat.zip', limits: { maxEntries: 2 }, expect: invalid('too-many-entries') },
  { title: 'a name longer than maxNameLength', file: 'valid-flat.zip', limits: { maxNameLength: 10 }, expect: invalid('name-too-long', 'contract.pdf') },
  {
    title: 'a ratio beyond maxCompressionRatio on a genuine file',
    file: 'compression-ratio-bomb.zip',
    limits: { maxCompressionRatio: 2000 },
    expect: { ok: true, names: ['zeros.pdf'] },
  },
];
