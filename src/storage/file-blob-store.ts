import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobKind, BlobStore } from '../domain/blob-store.js';

const DIRECTORY: Record<BlobKind, string> = { package: 'packages', result: 'results' };

/**
 * Package bytes live as files in the data directory, never as whole buffers in memory. A reference
 * is a path relative to the data directory, so a data directory can be moved (or mounted at /data
 * in the container) as a whole.
 */
export class FileBlobStore implements BlobStore {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = resolve(dataDir);
    for (const dir of [...Object.values(DIRECTORY), 'tmp']) mkdirSync(join(this.root, dir), { recursive: true });
  }

  newRef(kind: BlobKind, batchId: number): string {
    return join(DIRECTORY[kind], `${batchId}-${randomUUID()}.zip`);
  }

  absolute(relative: string): string {
    return join(this.root, relative);
  }

  async openRead(ref: string, size: number): Promise<Readable> {
    const handle = await open(this.absolute(ref), 'r');
    return handle.createReadStream(size > 0 ? { end: size - 1 } : {});
  }

  async remove(relative: string | null | undefined): Promise<void> {
    if (relative) await rm(this.absolute(relative), { force: true });
  }

  /** Throws when the data directory cannot be written (health check). */
  checkWritable(): void {
    const probe = join(this.root, 'tmp', `.probe-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe, { force: true });
  }
}
