import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getDefaultHighWaterMark, PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { receiveUpload } from '../../../src/archive/receive-upload.js';
import { domainError, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

function chunks(count: number, size: number, fill = 0x61): Readable {
  return Readable.from(Array.from({ length: count }, () => Buffer.alloc(size, fill)));
}

describe('receiveUpload', () => {
  it('streams the body to disk and reports size and sha256', async () => {
    const dest = join(dir, 'package.zip');
    const result = await receiveUpload(chunks(10, 1000), dest, 10_000);
    const bytes = await readFile(dest);
    expect(result).toEqual({ size: 10_000, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(await readdir(dir)).toEqual(['package.zip']); // no temp file left behind
  });

  it('replaces an existing file atomically', async () => {
    const dest = join(dir, 'package.zip');
    await writeFile(dest, 'old');
    await receiveUpload(Readable.from([Buffer.from('new bytes')]), dest, 100);
    expect(await readFile(dest, 'utf8')).toBe('new bytes');
  });

  it('past the limit: removes the partial file and says which setting to raise (413)', async () => {
    const dest = join(dir, 'package.zip');
    const err = await domainError(receiveUpload(chunks(20, 1000), dest, 10_500));
    expect(err.code).toBe('package_too_large');
    expect(err.extra).toMatchObject({ reason: 'upload-too-large', limit: 10_500, setting: 'SEAL_SIM_MAX_UPLOAD_BYTES' });
    expect(err.detail).toContain('10500 bytes');
    expect(err.detail).toContain('SEAL_SIM_MAX_UPLOAD_BYTES');
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps an existing package when the new upload is too large', async () => {
    const dest = join(dir, 'package.zip');
    await writeFile(dest, 'previous package');
    await domainError(receiveUpload(chunks(5, 100), dest, 100));
    expect(await readFile(dest, 'utf8')).toBe('previous package');
    expect(await readdir(dir)).toEqual(['package.zip']);
  });

  it('accepts a body of exactly the limit', async () => {
    const result = await receiveUpload(chunks(4, 250), join(dir, 'p.zip'), 1000);
    expect(result.size).toBe(1000);
  });

  it('drains a little past the limit, then destroys an endless body', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1024;
        this.push(Buffer.alloc(1024));
      },
    });
    await domainError(receiveUpload(endless, join(dir, 'p.zip'), 4096, { drainBytes: 64 * 1024 }));
    await new Promise<void>((resolve) => (endless.destroyed ? resolve() : endless.once('close', () => resolve())));
    expect(endless.destroyed).toBe(true);
    // what the stream reads ahead of the consumer: up to two buffers of the default high-water mark
    // (16 KiB on Node 20, 64 KiB from Node 22 on)
    const readAhead = Math.max(64 * 1024, 2 * getDefaultHighWaterMark(false) + 16 * 1024);
    expect(produced).toBeLessThan(4096 + 64 * 1024 + readAhead);
    expect(await readdir(dir)).toEqual([]);
  });

  it('does not destroy a body that ends while being drained', async () => {
    const body = new PassThrough();
    const pending = receiveUpload(body, join(dir, 'p.zip'), 10);
    body.write(Buffer.alloc(20));
    await domainError(pending);
    body.end(Buffer.alloc(5));
    await new Promise<void>((resolve) => body.once('end', () => resolve()));
    expect(body.destroyed && body.errored).toBeFalsy();
  });

  it('on a stream error: removes the partial file and rethrows the error', async () => {
    const body = new PassThrough();
    const pending = receiveUpload(body, join(dir, 'p.zip'), 1_000_000);
    body.write(Buffer.alloc(5000));
    const boom = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    setImmediate(() => body.destroy(boom));
    await expect(pending).rejects.toBe(boom);
    expect(await readdir(dir)).toEqual([]);
  });

  it('survives a body that fails before the first byte is read', async () => {
    const body = new PassThrough();
    const boom = new Error('socket hang up');
    const pending = receiveUpload(body, join(dir, 'p.zip'), 1000);
    body.destroy(boom); // while the temp file is still being created
    await expect(pending).rejects.toBe(boom);
    expect(await readdir(dir)).toEqual([]);
  });

  it('on a premature close: removes the partial file and rejects', async () => {
    const body = new PassThrough();
    const pending = receiveUpload(body, join(dir, 'p.zip'), 1_000_000);
    body.write(Buffer.alloc(5000));
    setImmediate(() => body.destroy());
    await expect(pending).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });
});
