import type { BlobStore } from '../domain/blob-store.js';
import { isDomainError } from '../domain/errors.js';
import type { IntakeOptions, PackageIntake, ReceivedPackage } from '../domain/package-intake.js';
import { inspectZip } from './inspect-zip.js';
import type { ZipLimits } from './limits.js';
import { receiveUpload } from './receive-upload.js';

export interface UploadPace {
  /** The whole body must arrive within this many ms (0: no deadline). */
  deadlineMs: number;
  /** Fewer bytes than this per second, over the rate window, cuts the upload off (0: no minimum). */
  minBytesPerSecond: number;
}

/**
 * The upload intake for ZIP packages: the body is streamed into a package blob (durable, hashed,
 * bounded in size and pace) and then inspected entry by entry as hostile input.
 */
export class ZipIntake implements PackageIntake {
  constructor(private readonly deps: { blobs: BlobStore; limits: ZipLimits; pace?: UploadPace }) {}

  get maxBytes(): number {
    return this.deps.limits.maxUploadBytes;
  }

  async receive(batchId: number, body: NodeJS.ReadableStream, options: IntakeOptions): Promise<ReceivedPackage> {
    const { blobs, limits, pace } = this.deps;
    const ref = blobs.newRef('package', batchId);
    const path = blobs.absolute(ref);
    try {
      let received: { size: number; sha256: string };
      try {
        received = await receiveUpload(body, path, Math.min(options.maxBytes, limits.maxUploadBytes), {
          deadlineMs: pace?.deadlineMs,
          minBytesPerSecond: pace?.minBytesPerSecond,
        });
      } catch (e) {
        if (options.tooLarge && isDomainError(e) && e.code === 'package_too_large') throw options.tooLarge();
        throw e;
      }
      options.admit?.(received.size);
      const entries = await inspectZip(path, limits);
      return { ref, size: received.size, sha256: received.sha256, files: entries.map((e) => ({ name: e.name, size: e.size })) };
    } catch (e) {
      await blobs.remove(ref);
      throw e;
    }
  }
}
