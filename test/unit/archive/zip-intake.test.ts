import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultZipLimits } from '../../../src/archive/limits.js';
import { ZipIntake } from '../../../src/archive/zip-intake.js';
import { DomainError } from '../../../src/domain/errors.js';
import { FileBlobStore } from '../../../src/storage/file-blob-store.js';
import { zipOf } from '../../helpers/zip.js';

describe('ZipIntake: an upload body becomes a stored, inspected package, or nothing', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const setUp = (maxUploadBytes = defaultZipLimits.maxUploadBytes) => {
    dir = mkdtempSync(join(tmpdir(), 'intake-test-'));
    const blobs = new FileBlobStore(dir);
    return { blobs, intake: new ZipIntake({ blobs, limits: { ...defaultZipLimits, maxUploadBytes } }), packages: () => readdirSync(join(dir!, 'packages')) };
  };

  it('stores the bytes as a package blob of the batch and lists its files in archive order', async () => {
    const { blobs, intake, packages } = setUp();
    const zip = await zipOf({ 'b.pdf': 'bb', 'a.pdf': 'a' });
    const sizes: number[] = [];
    const got = await intake.receive(7, Readable.from([zip]), { maxBytes: intake.maxBytes, admit: (size) => sizes.push(size) });
    expect(got).toMatchObject({
      size: zip.length,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      files: [
        { name: 'b.pdf', size: 2 },
        { name: 'a.pdf', size: 1 },
      ],
    });
    expect(got.ref).toMatch(/^packages[/\\]7-/);
    expect(readFileSync(blobs.absolute(got.ref))).toEqual(zip);
    expect(sizes).toEqual([zip.length]);
    expect(packages()).toHaveLength(1);
  });

  it('keeps nothing of a body that is not a sound ZIP', async () => {
    const { intake, packages } = setUp();
    await expect(intake.receive(1, Readable.from([Buffer.from('not a zip at all')]), { maxBytes: intake.maxBytes })).rejects.toMatchObject({
      code: 'package_invalid',
    });
    expect(packages()).toEqual([]);
  });

  it('asks admit before inspecting, and keeps nothing when it refuses', async () => {
    const { intake, packages } = setUp();
    const refusal = new DomainError('storage_full', 'full', { limit: 1, setting: 'SEAL_SIM_MAX_STORED_BYTES_PER_TENANT' });
    const body = Readable.from([Buffer.from('not a zip, never inspected')]);
    await expect(
      intake.receive(1, body, {
        maxBytes: intake.maxBytes,
        admit: () => {
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
    expect(packages()).toEqual([]);
  });

  it("refuses a body over the limit with the caller's refusal when it gives one, else the intake's own", async () => {
    const { intake, packages } = setUp(1000);
    const big = () => Readable.from([Buffer.alloc(2000, 1)]);
    const mine = new DomainError('storage_full', 'the tenant is full', { limit: 1, setting: 'SEAL_SIM_MAX_STORED_BYTES_PER_TENANT' });
    await expect(intake.receive(1, big(), { maxBytes: 500, tooLarge: () => mine })).rejects.toBe(mine);
    await expect(intake.receive(1, big(), { maxBytes: 5000 })).rejects.toMatchObject({
      code: 'package_too_large',
      extra: { limit: 1000, setting: 'SEAL_SIM_MAX_UPLOAD_BYTES' },
    });
    expect(packages()).toEqual([]);
  });
});
