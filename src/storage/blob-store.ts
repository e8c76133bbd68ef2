import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Package bytes live as files in the data directory, never as whole buffers in memory. The database
 * stores paths relative to the data directory so a data directory can be moved (or mounted at
 * /data in the container) as a whole.
 */
export class BlobStore {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = resolve(dataDir);
    for (const dir of ['packages', 'results', 'tmp']) mkdirSync(join(this.root, dir), { recursive: true });
  }

  /** A fresh relative path for an uploaded package of this batch. */
  newPackagePath(batchId: number): string {
    return join('packages', `${batchId}-${randomUUID()}.zip`);
  }

  /** A fresh relative path for a batch's result package. */
  newResultPath(batchId: number): string {
    return join('results', `${batchId}-${randomUUID()}.zip`);
  }

  absolute(relative: string): string {
    return join(this.root, relative);
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
