import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { BlockReader } from './block-reader.js';

type ReadCallback = (err: Error | null, bytesRead?: number) => void;

/**
 * A yauzl reader over a FileHandle that the caller opened and the caller closes.
 *
 * Why not `yauzl.open(path)`: there the fd belongs to yauzl's fd-slicer and is closed
 * asynchronously whenever its reference count drops to zero, which is hard to prove happens on
 * every error path. Here `close()` closes nothing; `walkZip` closes the handle in a `finally`, so
 * no hostile archive can leak a descriptor. Only `read()` is used: entry data is read by walkZip
 * itself, never through yauzl's streams. Reads go through the walk's `BlockReader`, so yauzl's
 * many small reads of the central directory and the local headers cost a few reads of the file.
 */
export class FileHandleReader extends yauzl.RandomAccessReader {
  constructor(private readonly blocks: BlockReader) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    const cb = callback as ReadCallback;
    // Offsets come straight from hostile headers (ZIP64 fields are 64-bit): refuse anything fs
    // cannot address rather than let fs throw synchronously inside yauzl.
    if (!Number.isSafeInteger(position) || position < 0 || length < 0 || offset + length > buffer.length) {
      setImmediate(() => this.deliver(cb, new Error(`offset out of range: ${position}`)));
      return;
    }
    this.blocks.read(position, length).then(
      (bytes) => this.deliver(cb, null, bytes.copy(buffer, offset)),
      (err: unknown) => this.deliver(cb, err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** A throw inside yauzl's callback must not become an unhandled rejection: report it as an error. */
  private deliver(cb: ReadCallback, err: Error | null, bytesRead?: number): void {
    try {
      cb(err, bytesRead);
    } catch (thrown) {
      this.emit('error', thrown instanceof Error ? thrown : new Error(String(thrown)));
    }
  }

  override _readStreamForRange(): Readable {
    throw new Error('FileHandleReader: entry data is read by walkZip, not through yauzl streams');
  }

  override close(callback: (err: Error | null) => void): void {
    setImmediate(() => callback(null));
  }
}
