import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DurableFile } from './durable-file.js';
import { duplicateKey } from './entry-name.js';
import { centralRecord, DEFLATED, dataDescriptor, endRecords, localHeader, STORED, streamedNeedsZip64, type WrittenEntry } from './zip-records.js';

export interface WriteZipOptions {
  /** Deflate the entries (default true). */
  compress?: boolean;
  /** Modification time written for every entry (default: now). Fix it for reproducible output. */
  mtime?: Date;
}

/** An entry: its bytes, or a file whose content is streamed into the package (never held whole). */
export type ZipSourceEntry = { name: string; bytes: Buffer } | { name: string; path: string };
type Source = AsyncIterable<ZipSourceEntry> | Iterable<ZipSourceEntry>;

/** Bytes gathered before one write of the result file. */
const WRITE_BYTES = 256 * 1024;
/** Deflate level: 6, zlib's default, as common ZIP tools write. */
const LEVEL = 6;
/**
 * Entries up to this size are deflated in one synchronous call (~0.1 ms for a sealed 35 KB PDF: a
 * trip through the thread pool would cost more than the work); larger ones in the thread pool,
 * since deflating 1 MiB of already-compressed PDF content takes ~30 ms that the event loop, which
 * serves every tenant, must not spend.
 */
const SYNC_DEFLATE_BYTES = 64 * 1024;
const deflateRawAsync = promisify(zlib.deflateRaw);
/** Output piece of an off-thread deflate: each piece is a round trip to the thread pool (zlib's 16 KiB made it twice as slow). */
const ASYNC_CHUNK_BYTES = 256 * 1024;
const deflate = (bytes: Buffer): Buffer | Promise<Buffer> =>
  bytes.length <= SYNC_DEFLATE_BYTES ? zlib.deflateRawSync(bytes, { level: LEVEL }) : deflateRawAsync(bytes, { level: LEVEL, chunkSize: ASYNC_CHUNK_BYTES });

/**
 * Write a result package to a temp file beside `destPath`, fsynced and renamed into place: when
 * the promise resolves the package is durable; if anything fails (including the `entries` source
 * throwing) no file is left behind and the error is rethrown.
 *
 * An entry given as bytes (a small document, sealed in memory) is deflated whole, its CRC-32
 * computed natively, and stored instead when deflating would not make it smaller; the local header
 * then carries its sizes. An entry given as a file is streamed through the deflater with its sizes
 * in a data descriptor after the data. Records and data are gathered into writes of WRITE_BYTES.
 * (A general-purpose ZIP library spends several times the deflating itself on per-entry streams
 * and a CRC-32 computed in JavaScript — most of the server's work per sealed document.)
 *
 * Memory: the next entry is pulled from `entries` only after the previous one was written, so
 * about one entry is in memory at a time however large the package.
 *
 * Names must be flat and distinct (case-insensitively): a result package mirrors the flat input.
 * A bad name is a programming error and throws a plain Error, not a DomainError.
 */
export async function writeZip(destPath: string, entries: Source, options: WriteZipOptions = {}): Promise<{ size: number; sha256: string }> {
  const file = await DurableFile.create(destPath);
  const out = new ZipOutput(file);
  const compress = options.compress ?? true;
  const mtime = options.mtime ?? new Date();
  const written: WrittenEntry[] = [];
  try {
    const seen = new Set<string>();
    for await (const item of entries as AsyncIterable<ZipSourceEntry>) {
      assertFlatName(item.name, seen);
      const name = Buffer.from(item.name, 'utf8');
      const offset = out.position;
      if ('bytes' in item) {
        const deflated = compress && item.bytes.length > 0 ? await deflate(item.bytes) : undefined;
        const smaller = deflated !== undefined && deflated.length < item.bytes.length;
        const data = smaller ? deflated : item.bytes;
        const entry: WrittenEntry = {
          name,
          method: smaller ? DEFLATED : STORED,
          descriptor: false,
          crc32: zlib.crc32(item.bytes) >>> 0,
          compressedSize: data.length,
          size: item.bytes.length,
          offset,
          mtime,
        };
        await out.append(localHeader(entry, false));
        await out.append(data);
        written.push(entry);
      } else {
        written.push(await streamEntry(out, item.path, name, compress, mtime));
      }
    }
    const directoryStart = out.position;
    for (const entry of written) await out.append(centralRecord(entry));
    await out.append(endRecords(written.length, directoryStart, out.position - directoryStart));
    await out.flush();
    await file.commit();
    return { size: out.position, sha256: out.sha256() };
  } catch (err) {
    await file.discard();
    throw err;
  }
}

/** One file streamed into the package: local header, (deflated) data, data descriptor. */
async function streamEntry(out: ZipOutput, path: string, name: Buffer, compress: boolean, mtime: Date): Promise<WrittenEntry> {
  const { size } = await stat(path);
  const zip64 = streamedNeedsZip64(size);
  const entry: WrittenEntry = {
    name,
    method: compress ? DEFLATED : STORED,
    descriptor: true,
    crc32: 0,
    compressedSize: 0,
    size: 0,
    offset: out.position,
    mtime,
  };
  await out.append(localHeader(entry, zip64));
  const dataStart = out.position;
  let crc = 0;
  let inflated = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = zlib.crc32(chunk, crc);
      inflated += chunk.length;
      callback(null, chunk);
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.append(chunk).then(() => callback(), callback);
    },
  });
  const source = createReadStream(path, { highWaterMark: 1 << 16 });
  if (compress) await pipeline(source, counter, zlib.createDeflateRaw({ level: LEVEL }), sink);
  else await pipeline(source, counter, sink);
  if (inflated !== size) throw new Error(`writeZip: ${path} changed while it was written (${inflated} bytes, ${size} expected)`);
  Object.assign(entry, { crc32: crc >>> 0, compressedSize: out.position - dataStart, size: inflated });
  await out.append(dataDescriptor(entry, zip64));
  return entry;
}

/** The package's bytes: counted, hashed and gathered into large writes of the durable file. */
class ZipOutput {
  position = 0;
  private readonly hash = createHash('sha256');
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly file: DurableFile) {}

  async append(bytes: Buffer): Promise<void> {
    this.hash.update(bytes);
    this.position += bytes.length;
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    if (this.heldBytes >= WRITE_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.heldBytes === 0) return;
    const bytes = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    await this.file.write(bytes);
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

function assertFlatName(name: string, seen: Set<string>): void {
  if (typeof name !== 'string' || name.length === 0 || /[/\\\u0000]/.test(name) || name === '.' || name === '..') {
    throw new Error(`writeZip: invalid entry name ${JSON.stringify(name)} (names must be flat file names)`);
  }
  const key = duplicateKey(name);
  if (seen.has(key)) throw new Error(`writeZip: duplicate entry name ${JSON.stringify(name)}`);
  seen.add(key);
}
