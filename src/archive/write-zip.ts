import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { DurableFile } from './durable-file.js';
import { duplicateKey } from './entry-name.js';

export interface WriteZipOptions {
  /** Deflate the entries (default true). */
  compress?: boolean;
  /** Modification time written for every entry (default: now). Fix it for reproducible output. */
  mtime?: Date;
}

/** An entry: its bytes, or a file whose content is streamed into the package (never held whole). */
export type ZipSourceEntry = { name: string; bytes: Buffer } | { name: string; path: string };
type Source = AsyncIterable<ZipSourceEntry> | Iterable<ZipSourceEntry>;

/**
 * Write a result package with yazl, streamed to a temp file beside `destPath`, fsynced and renamed
 * into place: when the promise resolves the package is durable; if anything fails (including the
 * `entries` source throwing) no file is left behind and the error is rethrown.
 *
 * Memory: the next entry is pulled from `entries` only after yazl has consumed the previous one,
 * so about one entry is in memory at a time however large the package.
 *
 * Names must be flat and distinct (case-insensitively): a result package mirrors the flat input.
 * A bad name is a programming error and throws a plain Error, not a DomainError.
 */
export async function writeZip(destPath: string, entries: Source, options: WriteZipOptions = {}): Promise<{ size: number; sha256: string }> {
  const file = await DurableFile.create(destPath);
  const zip = new yazl.ZipFile();
  const hash = createHash('sha256');
  let size = 0;

  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      file.write(chunk).then(() => callback(), callback);
    },
  });
  const written = pipeline(zip.outputStream, counter, sink);
  written.catch(() => {}); // observed below; this only keeps an early failure from going unhandled
  const zipFailed = new Promise<never>((_, reject) => zip.once('error', reject));
  zipFailed.catch(() => {});

  try {
    const seen = new Set<string>();
    for await (const item of entries as AsyncIterable<ZipSourceEntry>) {
      const { name } = item;
      assertFlatName(name, seen);
      let source: Readable;
      let size: number;
      if ('path' in item) {
        size = (await stat(item.path)).size;
        source = createReadStream(item.path, { highWaterMark: 1 << 16 });
      } else {
        size = item.bytes.length;
        const through = new PassThrough();
        through.end(item.bytes);
        source = through;
      }
      const consumed = once(source, 'end');
      consumed.catch(() => {});
      zip.addReadStream(source, name, {
        compress: options.compress ?? true,
        ...(options.mtime ? { mtime: options.mtime } : {}),
        size,
      });
      // Wait until yazl has taken this entry's bytes before pulling the next one.
      await Promise.race([consumed, zipFailed, written]);
    }
    zip.end();
    await Promise.race([written, zipFailed]);
    await file.commit();
    return { size, sha256: hash.digest('hex') };
  } catch (err) {
    counter.destroy();
    sink.destroy();
    await written.catch(() => {});
    await file.discard();
    throw err;
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
