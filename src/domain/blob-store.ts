import type { Readable } from 'node:stream';

/** What a blob holds: an uploaded package, or the result package the worker wrote. */
export type BlobKind = 'package' | 'result';

/**
 * Where package and result bytes are kept. The domain knows a blob by its reference (the `path`
 * a batch record stores) and never by where it lies; the adapters that stream bytes in and out
 * (the upload intake, the worker) ask this port for the file behind a reference.
 */
export interface BlobStore {
  /** A fresh reference for a new blob of the batch; nothing is written yet. */
  newRef(kind: BlobKind, batchId: number): string;
  /** The file behind a reference, for the adapters that write or read its bytes. */
  absolute(ref: string): string;
  /**
   * Opens a blob for reading, bounded by its recorded size: the stream ends with its last chunk
   * instead of after one more read that finds the end of the file. Opened before it resolves, so a
   * removal that follows cannot take the bytes from under a reader.
   */
  openRead(ref: string, size: number): Promise<Readable>;
  /** Removes a blob; nothing happens for no reference or one already gone. */
  remove(ref: string | null | undefined): Promise<void>;
}
