import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Write-then-rename, the way to make a file appear whole or not at all: bytes go to a temp file in
 * the destination's directory (same file system, so the rename is atomic), which is fsynced,
 * closed, renamed over the destination, and then the directory is fsynced so the rename itself
 * survives a crash.
 */
export class DurableFile {
  private closed = false;

  private constructor(
    readonly destPath: string,
    readonly tempPath: string,
    readonly handle: FileHandle,
  ) {}

  static async create(destPath: string): Promise<DurableFile> {
    const tempPath = join(dirname(destPath), `.${basename(destPath)}.${randomBytes(6).toString('hex')}.part`);
    // 'wx': never follow or reuse an existing file; 0o600: packages are nobody else's business.
    const handle = await open(tempPath, 'wx', 0o600);
    return new DurableFile(destPath, tempPath, handle);
  }

  /** Write all of `chunk` (fs may write less than asked; loop until done). */
  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset);
      offset += bytesWritten;
    }
  }

  /** fsync, close, rename into place, fsync the directory. */
  async commit(): Promise<void> {
    await this.handle.sync();
    this.closed = true;
    await this.handle.close();
    await rename(this.tempPath, this.destPath);
    await syncDirectory(dirname(this.destPath));
  }

  /** Close (if still open) and remove the temp file; never throws. */
  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => {});
    }
    await rm(this.tempPath, { force: true }).catch(() => {});
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES' && code !== 'ENOTSUP') throw err;
  } finally {
    await handle?.close();
  }
}
