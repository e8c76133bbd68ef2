/**
 * The records of a ZIP file as the result packages use them (APPNOTE 6.3): flat UTF-8 names,
 * stored or deflated data, an extended timestamp, and ZIP64 fields wherever a size, an offset or
 * the number of entries does not fit the classic 16/32-bit fields.
 */

/** What the central directory needs to know about one written entry. */
export interface WrittenEntry {
  name: Buffer;
  method: typeof STORED | typeof DEFLATED;
  /** A data descriptor follows the data (sizes and CRC unknown when the local header was written). */
  descriptor: boolean;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header from the start of the file. */
  offset: number;
  mtime: Date;
}

export const STORED = 0;
export const DEFLATED = 8;

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const FLAG_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
const VERSION_CLASSIC = 20; // 2.0: deflate
const VERSION_ZIP64 = 45; // 4.5: ZIP64 fields
const MADE_BY_UNIX = 3 << 8;
/** A regular file, rw-r--r--, in the Unix mode bits of the external attributes. */
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;

/**
 * Whether a streamed entry of `size` bytes needs ZIP64 sizes. Decided before the data is written,
 * from the inflated size: deflate can grow incompressible data slightly, hence the margin.
 */
export function streamedNeedsZip64(size: number): boolean {
  return size + Math.ceil(size / 1024) + 1024 >= U32_MAX;
}

/**
 * The local header. For an entry with a descriptor the CRC and sizes are written as zero (or, with
 * `zip64`, as the ZIP64 marker with zero sizes in the extra field) and follow the data instead.
 */
export function localHeader(e: Omit<WrittenEntry, 'offset'>, zip64: boolean): Buffer {
  const sizesInExtra = zip64 || e.size >= U32_MAX || e.compressedSize >= U32_MAX;
  const extra = [timestampExtra(e.mtime)];
  if (sizesInExtra) extra.push(zip64Extra([e.descriptor ? 0 : e.size, e.descriptor ? 0 : e.compressedSize]));
  const extras = Buffer.concat(extra);
  const b = Buffer.alloc(30);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(sizesInExtra ? VERSION_ZIP64 : VERSION_CLASSIC, 4);
  b.writeUInt16LE(FLAG_UTF8 | (e.descriptor ? FLAG_DESCRIPTOR : 0), 6);
  b.writeUInt16LE(e.method, 8);
  writeDosTime(b, 10, e.mtime);
  b.writeUInt32LE(e.descriptor ? 0 : e.crc32, 14);
  b.writeUInt32LE(sizesInExtra ? U32_MAX : e.descriptor ? 0 : e.compressedSize, 18);
  b.writeUInt32LE(sizesInExtra ? U32_MAX : e.descriptor ? 0 : e.size, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(extras.length, 28);
  return Buffer.concat([b, e.name, extras]);
}

/** The data descriptor after a streamed entry's data: 8-byte sizes when its local header said ZIP64. */
export function dataDescriptor(e: WrittenEntry, zip64: boolean): Buffer {
  const b = Buffer.alloc(zip64 ? 24 : 16);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(e.crc32, 4);
  if (zip64) {
    b.writeBigUInt64LE(BigInt(e.compressedSize), 8);
    b.writeBigUInt64LE(BigInt(e.size), 16);
  } else {
    b.writeUInt32LE(e.compressedSize, 8);
    b.writeUInt32LE(e.size, 12);
  }
  return b;
}

/** The central directory record of one entry. */
export function centralRecord(e: WrittenEntry): Buffer {
  // ZIP64 fields in this order, each only where the classic field overflows.
  const wide: number[] = [];
  if (e.size >= U32_MAX) wide.push(e.size);
  if (e.compressedSize >= U32_MAX) wide.push(e.compressedSize);
  if (e.offset >= U32_MAX) wide.push(e.offset);
  const extras = Buffer.concat([timestampExtra(e.mtime), ...(wide.length > 0 ? [zip64Extra(wide)] : [])]);
  const version = wide.length > 0 ? VERSION_ZIP64 : VERSION_CLASSIC;
  const b = Buffer.alloc(46);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(MADE_BY_UNIX | version, 4);
  b.writeUInt16LE(version, 6);
  b.writeUInt16LE(FLAG_UTF8 | (e.descriptor ? FLAG_DESCRIPTOR : 0), 8);
  b.writeUInt16LE(e.method, 10);
  writeDosTime(b, 12, e.mtime);
  b.writeUInt32LE(e.crc32, 16);
  b.writeUInt32LE(Math.min(e.compressedSize, U32_MAX), 20);
  b.writeUInt32LE(Math.min(e.size, U32_MAX), 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt16LE(extras.length, 30);
  // comment length, disk number, internal attributes: zero
  b.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
  b.writeUInt32LE(Math.min(e.offset, U32_MAX), 42);
  return Buffer.concat([b, e.name, extras]);
}

/**
 * The end of the file after a central directory of `count` records, `size` bytes long, starting at
 * `offset`: the ZIP64 end record and its locator when any of them overflows, then the classic end record.
 */
export function endRecords(count: number, offset: number, size: number): Buffer {
  const zip64 = count >= U16_MAX || offset >= U32_MAX || size >= U32_MAX;
  const parts: Buffer[] = [];
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4); // size of the rest of this record
    record.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 12);
    record.writeUInt16LE(VERSION_ZIP64, 14);
    // this disk and the central directory's disk: zero
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(size), 40);
    record.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + size), 8); // where the ZIP64 end record starts
    locator.writeUInt32LE(1, 16); // total number of disks
    parts.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(count, U16_MAX), 8);
  end.writeUInt16LE(Math.min(count, U16_MAX), 10);
  end.writeUInt32LE(Math.min(size, U32_MAX), 12);
  end.writeUInt32LE(Math.min(offset, U32_MAX), 16);
  parts.push(end);
  return Buffer.concat(parts);
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

/** Extended timestamp (0x5455): the modification time in UTC, which the DOS fields cannot carry. */
function timestampExtra(mtime: Date): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(0x5455, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4); // modification time present
  b.writeUInt32LE(Math.max(0, Math.min(U32_MAX, Math.floor(mtime.getTime() / 1000))), 5);
  return b;
}

/** DOS time and date (local time, 2-second resolution, years 1980–2107) at `at`. */
function writeDosTime(b: Buffer, at: number, d: Date): void {
  const year = Math.min(2107, Math.max(1980, d.getFullYear()));
  const date = ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
  b.writeUInt16LE(time, at);
  b.writeUInt16LE(date, at + 2);
}
