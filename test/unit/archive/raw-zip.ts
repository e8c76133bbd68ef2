/**
 * A deliberately permissive ZIP writer for tests and fixtures: every header field can be set to a
 * lie, which is the point. Real archives come from yazl; this makes the shapes yazl refuses to.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface RawHeaderFields {
  name: string | Buffer;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  extra: Buffer;
}

export interface RawEntry {
  name: string | Buffer;
  /** Uncompressed content (default empty). */
  data?: Buffer;
  /** 0 stored, 8 deflate (default 8); other values write `compressed` (or `data`) as is. */
  method?: number;
  /** The bytes written as the entry's data, instead of compressing `data`. */
  compressed?: Buffer;
  /** General purpose flags (default: 0x800 when the name is a string). */
  flags?: number;
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
  versionMadeBy?: number;
  externalAttributes?: number;
  extra?: Buffer;
  /** Fields of the local header that differ from the central directory record. */
  local?: Partial<RawHeaderFields>;
  /** Write no local header/data; point the CD record at `localOffsetOf` (an earlier entry's index). */
  sharesLocalOf?: number;
  /** Write the local header and data but no central-directory record (a hidden entry). */
  unlisted?: boolean;
}

export interface RawZipOptions {
  /** EOCD "total entries" (default: the number of CD records). */
  entryCount?: number;
  /** EOCD "disk number". */
  diskNumber?: number;
  /** Overrides the EOCD's central-directory offset. */
  centralDirectoryOffset?: number;
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1; // 2024-01-01

function nameBytes(name: string | Buffer): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

export function buildZip(entries: RawEntry[], options: RawZipOptions = {}): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const offsets: number[] = [];
  const records: Buffer[] = [];

  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const method = e.method ?? 8;
    const payload = e.compressed ?? (method === 8 ? deflateRawSync(data, { level: 9 }) : data);
    const cd = {
      name: nameBytes(e.name),
      flags: e.flags ?? (typeof e.name === 'string' ? 0x800 : 0),
      method,
      crc32: e.crc32 ?? crc32(data),
      compressedSize: e.compressedSize ?? payload.length,
      uncompressedSize: e.uncompressedSize ?? data.length,
      extra: e.extra ?? Buffer.alloc(0),
    };
    let localOffset: number;
    if (e.sharesLocalOf !== undefined) {
      localOffset = offsets[e.sharesLocalOf] ?? 0;
    } else {
      localOffset = offset;
      const l = { ...cd, ...e.local, name: nameBytes(e.local?.name ?? cd.name) };
      const h = Buffer.alloc(30);
      h.writeUInt32LE(0x04034b50, 0);
      h.writeUInt16LE(20, 4);
      h.writeUInt16LE(l.flags, 6);
      h.writeUInt16LE(l.method, 8);
      h.writeUInt16LE(DOS_TIME, 10);
      h.writeUInt16LE(DOS_DATE, 12);
      h.writeUInt32LE(l.crc32 >>> 0, 14);
      h.writeUInt32LE(l.compressedSize >>> 0, 18);
      h.writeUInt32LE(l.uncompressedSize >>> 0, 22);
      h.writeUInt16LE(l.name.length, 26);
      h.writeUInt16LE(l.extra.length, 28);
      const chunk = Buffer.concat([h, l.name, l.extra, payload]);
      parts.push(chunk);
      offset += chunk.length;
    }
    offsets.push(localOffset);
    if (e.unlisted) continue;

    const r = Buffer.alloc(46);
    r.writeUInt32LE(0x02014b50, 0);
    r.writeUInt16LE(e.versionMadeBy ?? (3 << 8) | 20, 4);
    r.writeUInt16LE(20, 6);
    r.writeUInt16LE(cd.flags, 8);
    r.writeUInt16LE(cd.method, 10);
    r.writeUInt16LE(DOS_TIME, 12);
    r.writeUInt16LE(DOS_DATE, 14);
    r.writeUInt32LE(cd.crc32 >>> 0, 16);
    r.writeUInt32LE(cd.compressedSize >>> 0, 20);
    r.writeUInt32LE(cd.uncompressedSize >>> 0, 24);
    r.writeUInt16LE(cd.name.length, 28);
    r.writeUInt16LE(cd.extra.length, 30);
    r.writeUInt16LE(0, 32); // comment length
    r.writeUInt16LE(0, 34); // disk
    r.writeUInt16LE(0, 36); // internal attributes
    r.writeUInt32LE((e.externalAttributes ?? 0o100644 << 16) >>> 0, 38);
    r.writeUInt32LE(localOffset >>> 0, 42);
    records.push(Buffer.concat([r, cd.name, cd.extra]));
  }

  const cdStart = offset;
  const cdBytes = Buffer.concat(records);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(options.diskNumber ?? 0, 4);
  eocd.writeUInt16LE(options.diskNumber ?? 0, 6);
  eocd.writeUInt16LE(options.entryCount ?? records.length, 8);
  eocd.writeUInt16LE(options.entryCount ?? records.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(options.centralDirectoryOffset ?? cdStart, 16);
  eocd.writeUInt16LE(0, 20);
  return Buffer.concat([...parts, cdBytes, eocd]);
}
