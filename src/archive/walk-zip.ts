import { randomUUID } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { isDomainError } from '../domain/errors.js';
import { checkEntryName, decodeEntryName, duplicateKey } from './entry-name.js';
import { BlockReader } from './block-reader.js';
import { FileHandleReader } from './file-handle-reader.js';
import { COMPRESSION_RATIO_EXEMPT_BYTES, describeBytes, zipLimitSettings, type ZipLimits } from './limits.js';
import { packageInvalid, packageTooLarge, quoteEntry, type EntryRef } from './rejections.js';

/** One file of an accepted package, as its (verified) central directory describes it. */
export interface PackageEntry {
  name: string;
  /** Inflated size in bytes, verified against the real inflated data. */
  size: number;
  compressedSize: number;
  /** CRC-32 of the inflated data, verified. */
  crc32: number;
}

export interface WalkedEntry {
  entry: PackageEntry;
  /** The inflated bytes: with `collect: true`, or `{ dir, inMemoryUpTo }` for a file that small. */
  bytes: Buffer | undefined;
  /** The file the inflated bytes were written to, when walking with `collect: { dir }`. */
  path?: string;
}

/**
 * What a walk keeps of each entry: nothing (inspection), its bytes, or a file in `dir` — except
 * files of at most `inMemoryUpTo` bytes, which are kept as bytes.
 */
export type Collect = boolean | { dir: string; inMemoryUpTo?: number };

interface PlannedEntry extends PackageEntry {
  ref: EntryRef;
  method: number;
  dataStart: number;
}

const STORED = 0;
const DEFLATE = 8;
const READ_CHUNK = 64 * 1024;
/**
 * Entries up to this size (inflated and compressed) are read whole and inflated in one call; larger
 * ones stream through the inflater in READ_CHUNK pieces. One call costs a fraction of a stream's
 * per-piece bookkeeping, which is most of the work for the small documents batches mostly hold.
 */
const WHOLE_ENTRY_BYTES = 1024 * 1024;
/** Bytes inflated between two turns given to other requests (see walkZip). */
const YIELD_EVERY_BYTES = 1024 * 1024;

/**
 * yauzl options, each chosen on purpose:
 * - lazyEntries: we pull one central-directory record at a time and stop at the first bad one;
 *   yauzl never runs ahead and nothing is buffered.
 * - decodeStrings false: names are decoded and validated by `entry-name.ts`. With decoding on,
 *   yauzl itself rejects "../x", "/x" and "C:x" with an error that names no entry (and, unless
 *   strictFileNames, silently turns "\" into "/"); raw bytes let every rejection carry the entry
 *   and a stable reason, and let us compare the local header's name byte for byte.
 * - strictFileNames true: has no effect without decodeStrings, but records the intent should that
 *   ever change: never rewrite backslashes into path separators.
 * - validateEntrySizes false: yauzl's check runs before the entry is emitted (so its error names
 *   no entry) and otherwise only guards yauzl's own read streams, which we do not use. We check
 *   sizes ourselves, against the bytes that really come out of the inflater.
 * - autoClose false: we close the ZipFile ourselves, in a `finally`, once the local headers have
 *   been read, on the success path and on every error path alike.
 */
const YAUZL_OPTIONS: yauzl.Options = {
  lazyEntries: true,
  decodeStrings: false,
  strictFileNames: true,
  validateEntrySizes: false,
  autoClose: false,
};

/**
 * The one reader of uploaded ZIPs, shared by `inspectZip` and `readEntries`. Every byte is hostile:
 *
 * Pass 1 reads the central directory with yauzl and, per entry, checks its name, kind, encryption,
 * compression method and declared sizes, then reads its local header to check that it agrees with
 * the central directory and that no two entries share bytes. Nothing is inflated until every
 * entry has passed, so cheap rejections come first.
 *
 * Pass 2 inflates each entry in turn, streaming in 64 KiB pieces, and aborts the moment more bytes
 * come out than the header declared; at the end the real size and CRC-32 must match the header.
 * Since every declared size is within the limits and no entry may exceed its declared size, no
 * entry and no package can inflate past the limits.
 *
 * The file handle is closed in a `finally`; consumers that stop early must end the iteration
 * (`for await` with `break` does) so that the `finally` runs.
 */
export async function* walkZip(path: string, limits: ZipLimits, collect: Collect): AsyncGenerator<WalkedEntry, void, undefined> {
  const handle = await open(path, 'r');
  const reader = new BlockReader(handle);
  try {
    const planned = await planEntries(handle, reader, limits);
    let inflatedTotal = 0;
    let inflatedSinceYield = 0;
    for (const entry of planned) {
      const toFile = typeof collect === 'object' && entry.size > (collect.inMemoryUpTo ?? -1);
      const target = toFile ? join(collect.dir, `in-${randomUUID()}`) : undefined;
      let bytes: Buffer | undefined;
      if (target) {
        const out = await open(target, 'w');
        try {
          await inflateEntry(reader, entry, limits, inflatedTotal, false, out);
        } catch (err) {
          await out.close().catch(() => {});
          await rm(target, { force: true });
          throw err;
        }
        await out.close();
      } else {
        bytes = await inflateEntry(reader, entry, limits, inflatedTotal, collect !== false);
      }
      inflatedTotal += entry.size;
      // An entry up to WHOLE_ENTRY_BYTES inflates in one synchronous call (about a millisecond for
      // 1 MiB), and its compressed bytes usually come from the reader's cached block without I/O:
      // after each MiB inflated, other requests get their turn, so that a package of a thousand
      // small bombs stalls no other tenant for more than a couple of milliseconds at a time.
      inflatedSinceYield += entry.size;
      if (inflatedSinceYield >= YIELD_EVERY_BYTES) {
        inflatedSinceYield = 0;
        await setImmediate();
      }
      yield {
        entry: { name: entry.name, size: entry.size, compressedSize: entry.compressedSize, crc32: entry.crc32 },
        bytes,
        ...(target ? { path: target } : {}),
      };
    }
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 1: the central directory and local headers.

async function planEntries(handle: FileHandle, reader: BlockReader, limits: ZipLimits): Promise<PlannedEntry[]> {
  const { size: fileSize } = await handle.stat();
  if (fileSize === 0) {
    throw packageInvalid(
      'not-a-zip',
      'The upload is empty (0 bytes), not a ZIP archive. Send the ZIP file itself as the request body (application/octet-stream).',
    );
  }

  let zipfile: yauzl.ZipFile;
  try {
    zipfile = await openZip(new FileHandleReader(reader), fileSize);
  } catch (err) {
    throw await classifyOpenError(err, handle);
  }
  // A permanent listener: an 'error' event with no listener would crash the process, and yauzl can
  // emit one after we have stopped waiting (e.g. forwarded from the reader).
  let lateError: unknown;
  zipfile.on('error', (err: unknown) => {
    lateError ??= err;
  });

  try {
    if (zipfile.entryCount === 0) {
      throw packageInvalid('empty-archive', 'The ZIP archive contains no files. Put the files to be sealed in the ZIP and upload again.');
    }
    if (zipfile.entryCount > limits.maxEntries) {
      throw packageInvalid(
        'too-many-entries',
        `The ZIP archive holds ${zipfile.entryCount} entries; at most ${limits.maxEntries} files are allowed in one package (setting ${zipLimitSettings.maxEntries}). Split the files over several batches and upload again.`,
      );
    }
    // Before the first readEntry() this is the central directory's offset (typed wrongly upstream).
    const centralDirectoryStart = (zipfile as unknown as { readEntryCursor: number }).readEntryCursor;
    const state: PlanState = { limits, centralDirectoryStart, seen: new Map(), ranges: [], declaredTotal: 0 };
    const planned: PlannedEntry[] = [];
    for (let index = 1; ; index++) {
      let entry: yauzl.Entry | null;
      try {
        // yauzl emits at most one error and then goes quiet: one that arrived while nobody was
        // waiting must fail the next read instead of leaving it pending forever.
        if (lateError !== undefined) throw lateError;
        entry = await nextEntry(zipfile);
      } catch (err) {
        throw classifyEntryError(err, index);
      }
      if (entry === null) break;
      planned.push(await planEntry(zipfile, entry, index, state));
    }
    checkNoHiddenData(state);
    return planned;
  } finally {
    try {
      zipfile.close();
    } catch {
      // close() only unrefs our reader, whose close() closes nothing; the handle is closed by walkZip.
    }
  }
}

interface PlanState {
  limits: ZipLimits;
  centralDirectoryStart: number;
  /** duplicate key → the first name that had it */
  seen: Map<string, string>;
  /** byte ranges [local header, end of data) already claimed by an entry */
  ranges: Array<{ start: number; end: number; ref: EntryRef; dataDescriptor: boolean }>;
  declaredTotal: number;
}

async function planEntry(zipfile: yauzl.ZipFile, entry: yauzl.Entry, index: number, state: PlanState): Promise<PlannedEntry> {
  const { limits } = state;
  const rawName = entry.fileName as unknown as Buffer; // decodeStrings: false
  const decoded = decodeEntryName(rawName, entry.generalPurposeBitFlag, entry.extraFieldRaw);
  if (!decoded.ok) {
    throw packageInvalid(
      'invalid-name-encoding',
      `Entry #${index} (${JSON.stringify(decoded.lossy)}) is marked as having a UTF-8 name, but the name is not valid UTF-8. Re-create the ZIP with a tool that writes UTF-8 file names and upload again.`,
      index,
    );
  }
  const name = decoded.name;
  const ref: EntryRef = name.length > 0 ? name : index;
  const Entry = (): string => capitalize(quoteEntry(ref)); // built only for a message

  const nameProblem = checkEntryName(name, limits.maxNameLength);
  if (nameProblem) throw packageInvalid(nameProblem.reason, `${Entry()} ${nameProblem.explanation}`, ref);

  // The file's kind, from the external attributes: Unix mode in the high 16 bits, MS-DOS
  // attributes in the low byte. Checked whatever "version made by" claims (stricter).
  const external = entry.externalFileAttributes >>> 0;
  const unixType = (external >>> 16) & 0o170000;
  if (unixType === 0o120000) {
    throw packageInvalid(
      'symlink',
      `${Entry()} is a symbolic link, not a file. Put the real file in the ZIP (most ZIP tools have an option to follow links) and upload again.`,
      ref,
    );
  }
  if (unixType === 0o040000 || (external & 0x10) !== 0) {
    throw packageInvalid(
      'directory-entry',
      `${Entry()} is a folder. The vendor requires a flat ZIP: put every file at the top level, with no folders, and upload again.`,
      ref,
    );
  }
  // NOTE: other Unix types (FIFO, device, socket) are accepted as plain files: no unzip tool
  // recreates them, and Info-ZIP records a FIFO when zipping from a pipe (`cat f | zip out.zip -`).

  const key = duplicateKey(name);
  const earlier = state.seen.get(key);
  if (earlier !== undefined) {
    throw packageInvalid(
      'duplicate-name',
      `${Entry()} has the same name as ${quoteEntry(earlier)} (names are compared ignoring case, as the vendor's Windows server does). Give every file a distinct name and upload again.`,
      ref,
    );
  }
  state.seen.set(key, name);

  if ((entry.generalPurposeBitFlag & 0x1) !== 0) {
    throw packageInvalid(
      'encrypted-entry',
      `${Entry()} is encrypted (password-protected). Files to be sealed must be readable: create the ZIP without a password and upload again.`,
      ref,
    );
  }
  const method = entry.compressionMethod;
  if (method !== STORED && method !== DEFLATE) {
    throw packageInvalid(
      'unsupported-compression',
      `${Entry()} uses compression method ${method}${METHOD_NAMES[method] ? ` (${METHOD_NAMES[method]})` : ''}; only "stored" (0) and "deflate" (8) are supported. Re-create the ZIP with standard deflate compression and upload again.`,
      ref,
    );
  }

  const size = entry.uncompressedSize;
  const compressedSize = entry.compressedSize;
  if (size > limits.maxEntryBytes) {
    throw packageTooLarge(
      'entry-too-large',
      `${Entry()} inflates to ${describeBytes(size)}, more than the ${describeBytes(limits.maxEntryBytes)} allowed for one file (setting ${zipLimitSettings.maxEntryBytes}). Send a smaller file and upload again.`,
      { entry: ref, limit: limits.maxEntryBytes, setting: zipLimitSettings.maxEntryBytes },
    );
  }
  state.declaredTotal += size;
  if (state.declaredTotal > limits.maxTotalBytes) {
    throw packageTooLarge(
      'total-too-large',
      `With ${quoteEntry(ref)} the files inflate to at least ${describeBytes(state.declaredTotal)}, more than the ${describeBytes(limits.maxTotalBytes)} allowed for one package (setting ${zipLimitSettings.maxTotalBytes}). Split the files over several batches and upload again.`,
      { entry: ref, limit: limits.maxTotalBytes, setting: zipLimitSettings.maxTotalBytes },
    );
  }
  if (method === STORED && compressedSize !== size) {
    throw packageInvalid(
      'size-mismatch',
      `${Entry()} is stored without compression but its header gives a compressed size of ${compressedSize} and an uncompressed size of ${size} bytes. The ZIP is damaged or crafted; re-create it with a standard ZIP tool and upload again.`,
      ref,
    );
  }
  if (method === DEFLATE && size >= COMPRESSION_RATIO_EXEMPT_BYTES && size > compressedSize * limits.maxCompressionRatio) {
    const ratio = compressedSize === 0 ? 'infinite' : `${Math.round(size / compressedSize)}:1`;
    throw packageInvalid(
      'compression-ratio',
      `${Entry()} inflates from ${compressedSize} to ${size} bytes (a ratio of ${ratio}; at most ${limits.maxCompressionRatio}:1 is allowed for files over 1 MiB, setting ${zipLimitSettings.maxCompressionRatio}). This is how a ZIP bomb looks; if the file is genuine, send it uncompressed ("stored") and upload again.`,
      ref,
    );
  }

  let local: yauzl.LocalFileHeader;
  try {
    local = await zipfile.readLocalFileHeaderPromise(entry);
  } catch (err) {
    throw packageInvalid(
      'corrupt-archive',
      `${Entry()}: its local header is missing or damaged (${messageOf(err)}). The ZIP is corrupt or truncated; re-create it and upload again.`,
      ref,
    );
  }

  // No two entries may share bytes, and no entry may run into the central directory: that is how
  // "overlapping" bombs make a few KB of deflate data count as thousands of files.
  const start = entry.relativeOffsetOfLocalHeader;
  const end = local.fileDataStart + compressedSize;
  if (end > state.centralDirectoryStart) {
    throw packageInvalid(
      'overlapping-entries',
      `${Entry()}'s data runs into the ZIP's central directory. The ZIP is damaged or crafted; re-create it with a standard ZIP tool and upload again.`,
      ref,
    );
  }
  for (const other of state.ranges) {
    if (start < other.end && other.start < end) {
      throw packageInvalid(
        'overlapping-entries',
        `${Entry()} shares its bytes with ${quoteEntry(other.ref)}: several entries point at the same data, the mark of a ZIP bomb. Re-create the ZIP with a standard ZIP tool and upload again.`,
        ref,
      );
    }
  }
  state.ranges.push({ start, end, ref, dataDescriptor: (local.generalPurposeBitFlag & 0x8) !== 0 });

  // The local header must tell the same story as the central directory, or two unzip tools would
  // see two different packages.
  const disagreements: string[] = [];
  if (!local.fileName.equals(rawName)) disagreements.push('file name');
  if (local.compressionMethod !== method) disagreements.push('compression method');
  if ((local.generalPurposeBitFlag & 0x1) !== 0) disagreements.push('encryption flag');
  if ((local.generalPurposeBitFlag & 0x8) === 0) {
    // Without a data descriptor (bit 3) the local header carries the real CRC and sizes
    // (0xFFFFFFFF means "see the ZIP64 extra field").
    if (local.crc32 !== entry.crc32) disagreements.push('CRC-32');
    if (local.compressedSize !== compressedSize && local.compressedSize !== 0xffffffff) disagreements.push('compressed size');
    if (local.uncompressedSize !== size && local.uncompressedSize !== 0xffffffff) disagreements.push('uncompressed size');
  }
  if (disagreements.length > 0) {
    throw packageInvalid(
      'header-mismatch',
      `${Entry()}: its local header and the central directory disagree (${disagreements.join(', ')}), so different unzip tools would see different files. Re-create the ZIP with a standard ZIP tool and upload again.`,
      ref,
    );
  }

  return { name, ref, size, compressedSize, crc32: entry.crc32 >>> 0, method, dataStart: local.fileDataStart };
}

/** Largest data descriptor: signature + CRC + two 8-byte ZIP64 sizes. */
const MAX_DATA_DESCRIPTOR = 24;

/**
 * Every byte before the central directory must belong to a listed entry (or be the data
 * descriptor that follows one). Unlisted bytes are where a second, hidden file hides: tools that
 * stream local headers (Java's ZipInputStream, many scanners) would extract it, tools that read the
 * central directory would not, so the package means different things to different readers.
 */
function checkNoHiddenData(state: PlanState): void {
  const sorted = [...state.ranges].sort((a, b) => a.start - b.start);
  let cursor = 0;
  let previous: (typeof sorted)[number] | undefined;
  for (const range of [...sorted, { start: state.centralDirectoryStart, end: state.centralDirectoryStart, ref: '', dataDescriptor: false }]) {
    const gap = range.start - cursor;
    if (gap > 0 && !(previous?.dataDescriptor === true && gap <= MAX_DATA_DESCRIPTOR)) {
      throw packageInvalid(
        'hidden-data',
        `The ZIP holds ${gap} bytes at offset ${cursor} that belong to no file in its central directory (for example a hidden extra file, or data prepended to the archive). Re-create the ZIP with a standard ZIP tool and upload again.`,
      );
    }
    cursor = Math.max(cursor, range.end);
    previous = range;
  }
}

const METHOD_NAMES: Record<number, string> = {
  1: 'shrink',
  6: 'implode',
  9: 'deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'zstd',
  95: 'xz',
  98: 'PPMd',
  99: 'AES encryption',
};

function openZip(reader: FileHandleReader, fileSize: number): Promise<yauzl.ZipFile> {
  let onReaderError: (err: unknown) => void = () => {};
  return new Promise<yauzl.ZipFile>((resolve, reject) => {
    // Until the ZipFile exists (and forwards reader errors to its own 'error'), a reader error
    // needs a listener of its own.
    onReaderError = reject;
    reader.on('error', onReaderError);
    try {
      yauzl.fromRandomAccessReader(reader, fileSize, YAUZL_OPTIONS, (err, zipfile) => (err ? reject(err) : resolve(zipfile)));
    } catch (err) {
      reject(err); // e.g. a size beyond 2^53; yauzl throws synchronously for that
    }
  }).finally(() => reader.removeListener('error', onReaderError));
}

/** One central-directory record, or null at the end. Listeners are removed whatever happens. */
function nextEntry(zipfile: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zipfile.off('entry', onEntry);
      zipfile.off('end', onEnd);
      zipfile.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => {
      cleanup();
      resolve(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const onError = (err: unknown): void => {
      cleanup();
      reject(err);
    };
    zipfile.on('entry', onEntry);
    zipfile.on('end', onEnd);
    zipfile.on('error', onError);
    try {
      zipfile.readEntry();
    } catch (err) {
      onError(err);
    }
  });
}

async function classifyOpenError(err: unknown, handle: FileHandle): Promise<Error> {
  const message = messageOf(err);
  if (message.includes('End of central directory record signature not found')) {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead === 4 && head.readUInt32LE(0) === 0x04034b50) {
      return packageInvalid(
        'truncated-archive',
        'The upload starts like a ZIP archive but its end (the central directory) is missing: the file was cut off in transit or while it was being written. Upload the complete file again.',
      );
    }
    return packageInvalid(
      'not-a-zip',
      'The upload is not a ZIP archive (no ZIP end-of-central-directory record was found). Send the ZIP file itself, unmodified, as the request body (application/octet-stream, not multipart or base64).',
    );
  }
  if (message.includes('multi-disk')) {
    return packageInvalid('multi-disk-archive', 'The upload is one part of a split (multi-volume) ZIP archive. Create a single-file ZIP and upload it.');
  }
  return packageInvalid('corrupt-archive', `The ZIP archive is damaged (${message}). Re-create it with a standard ZIP tool and upload again.`);
}

function classifyEntryError(err: unknown, index: number): Error {
  const message = messageOf(err);
  if (message.includes('strong encryption')) {
    return packageInvalid(
      'encrypted-entry',
      `Entry #${index} is encrypted (PKWARE strong encryption). Files to be sealed must be readable: create the ZIP without a password and upload again.`,
      index,
    );
  }
  return packageInvalid(
    'corrupt-archive',
    `The ZIP's central directory is damaged at entry #${index} (${message}). The ZIP is corrupt or truncated; re-create it with a standard ZIP tool and upload again.`,
    index,
  );
}

// ---------------------------------------------------------------------------------------------
// Pass 2: the data.

async function inflateEntry(
  reader: BlockReader,
  entry: PlannedEntry,
  limits: ZipLimits,
  inflatedBefore: number,
  collect: boolean,
  toFile?: FileHandle,
): Promise<Buffer | undefined> {
  // Built only for a message: most entries are fine, and quoting a name costs.
  const Entry = (): string => capitalize(quoteEntry(entry.ref));
  const tooMuch = (): Error =>
    packageInvalid(
      'size-mismatch',
      `${Entry()} inflates to more than the ${entry.size} bytes its header declares. Headers that under-declare sizes are how ZIP bombs get past limits; re-create the ZIP with a standard ZIP tool and upload again.`,
      entry.ref,
    );
  const tooLittle = (actual: number): Error =>
    packageInvalid(
      'size-mismatch',
      `${Entry()} inflates to ${actual} bytes but its header declares ${entry.size}. The ZIP is damaged or crafted; re-create it with a standard ZIP tool and upload again.`,
      entry.ref,
    );
  const crcMismatch = (): Error =>
    packageInvalid(
      'crc-mismatch',
      `${Entry()} is damaged: the CRC-32 of its content does not match the one recorded in the ZIP. Re-create the ZIP and upload again.`,
      entry.ref,
    );

  if (entry.compressedSize === 0) {
    // Nothing to read (an empty file; zlib would call empty input an error).
    if (entry.size !== 0) throw tooLittle(0);
    if (entry.crc32 !== 0) throw crcMismatch();
    return collect ? Buffer.alloc(0) : undefined;
  }

  if (entry.size <= WHOLE_ENTRY_BYTES && entry.compressedSize <= WHOLE_ENTRY_BYTES) {
    const whole = await inflateWhole(reader, entry, Entry, tooMuch);
    if (whole.length !== entry.size) throw tooLittle(whole.length);
    if (zlib.crc32(whole) >>> 0 !== entry.crc32) throw crcMismatch();
    if (toFile) await toFile.write(whole);
    return collect ? whole : undefined;
  }

  // After pass 1, entry.size <= maxEntryBytes; allocate only when the caller wants the bytes.
  const out = collect ? Buffer.allocUnsafe(entry.size) : undefined;
  let actual = 0;
  let crc = 0;
  const sink = new Writable({
    highWaterMark: READ_CHUNK,
    write(chunk: Buffer, _encoding, callback) {
      // Abort at the first byte past the declared size: under-declared headers are bomb material.
      if (actual + chunk.length > entry.size) return callback(tooMuch());
      // Implied by the line above and pass 1's declared-size checks; kept as a second wall.
      if (actual + chunk.length > limits.maxEntryBytes || inflatedBefore + actual + chunk.length > limits.maxTotalBytes) {
        return callback(tooMuch());
      }
      if (out) chunk.copy(out, actual);
      actual += chunk.length;
      crc = zlib.crc32(chunk, crc);
      if (toFile) toFile.write(chunk).then(() => callback(), callback);
      else callback();
    },
    final(callback) {
      if (actual !== entry.size) return callback(tooLittle(actual));
      if (crc >>> 0 !== entry.crc32) return callback(crcMismatch());
      callback();
    },
  });

  const source = readRange(reader, entry.dataStart, entry.compressedSize);
  const inflater = entry.method === DEFLATE ? zlib.createInflateRaw({ chunkSize: READ_CHUNK }) : undefined;
  try {
    if (inflater) await pipeline(source, inflater, sink);
    else await pipeline(source, sink);
  } catch (err) {
    if (isDomainError(err)) throw err;
    if (isZlibError(err)) {
      throw packageInvalid('corrupt-entry-data', `${Entry()}'s compressed data is damaged (${messageOf(err)}). Re-create the ZIP and upload again.`, entry.ref);
    }
    throw err; // an I/O error on our own file: not the integrator's fault
  }
  if (inflater && inflater.bytesWritten !== entry.compressedSize) throw trailingData(Entry(), entry, inflater.bytesWritten);
  return out;
}

/**
 * A small entry's inflated bytes, inflated in one call: never more than its declared size (more
 * is `tooMuch`), and its compressed data must end where the header says. The caller checks the
 * size and the CRC-32, as for a streamed entry.
 */
async function inflateWhole(reader: BlockReader, entry: PlannedEntry, Entry: () => string, tooMuch: () => Error): Promise<Buffer> {
  const data = await reader.read(entry.dataStart, entry.compressedSize);
  // Stored: pass 1 made its compressed size its size, so it cannot be longer (shorter: the caller's check).
  if (entry.method !== DEFLATE) return Buffer.from(data); // a copy: `data` may be a view of the reader's cached block
  let inflated: { buffer: Buffer; engine: zlib.InflateRaw };
  try {
    // maxOutputLength stops the inflater at the declared size: a bomb never gets further.
    inflated = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size), info: true }) as unknown as typeof inflated;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooMuch();
    if (isZlibError(err)) {
      throw packageInvalid('corrupt-entry-data', `${Entry()}'s compressed data is damaged (${messageOf(err)}). Re-create the ZIP and upload again.`, entry.ref);
    }
    throw err;
  }
  if (inflated.buffer.length > entry.size) throw tooMuch();
  if (inflated.engine.bytesWritten !== entry.compressedSize) throw trailingData(Entry(), entry, inflated.engine.bytesWritten);
  return inflated.buffer;
}

function trailingData(Entry: string, entry: PlannedEntry, inflaterRead: number): Error {
  return packageInvalid(
    'corrupt-entry-data',
    `${Entry} has ${entry.compressedSize - inflaterRead} bytes of unexplained data after the end of its compressed stream. Re-create the ZIP with a standard ZIP tool and upload again.`,
    entry.ref,
  );
}

/**
 * `length` bytes of the file from `start`, in READ_CHUNK pieces (fewer if the file ends first: the
 * size checks then name the entry). Read through the walk's reader rather than
 * `handle.createReadStream()`: every such stream adds a `close` listener to the handle that stays
 * until the handle closes, so a package of more than ten entries would make Node warn of a leak.
 */
async function* readRange(reader: BlockReader, start: number, length: number): AsyncGenerator<Buffer> {
  const end = start + length;
  for (let position = start; position < end; ) {
    const piece = await reader.read(position, Math.min(READ_CHUNK, end - position));
    if (piece.length === 0) return;
    position += piece.length;
    yield piece;
  }
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_ZLIB'));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
