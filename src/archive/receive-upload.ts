import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DomainError } from '../domain/errors.js';
import { DurableFile } from './durable-file.js';
import { describeBytes, zipLimitSettings } from './limits.js';
import { packageTooLarge } from './rejections.js';

export interface ReceiveUploadOptions {
  /**
   * After the limit is crossed, how many more bytes to read and throw away before destroying the
   * body (default 1 MiB). Draining a little lets an HTTP server send its 413 on a connection the
   * client is still writing to (a client that is cut off mid-send often reports "connection reset"
   * instead of the answer); destroying past this keeps a hostile client from streaming forever.
   */
  drainBytes?: number;
  /** The whole body must arrive within this many ms (0 or absent: no deadline). */
  deadlineMs?: number;
  /** Fewer bytes than this per second over any `rateWindowMs` cuts the upload off (0 or absent: no minimum). */
  minBytesPerSecond?: number;
  /** The window the minimum rate is measured over (default 5 s). */
  rateWindowMs?: number;
  /** Settings named in the refusals (so the problem says what to raise). */
  settings?: { deadline: string; minRate: string };
}

/** How often the watchdog looks at a slow upload; it is the granularity of both cut-offs. */
const WATCH_EVERY_MS = 250;
export const DEFAULT_RATE_WINDOW_MS = 5000;

const DEFAULT_DRAIN_BYTES = 1024 * 1024;

/**
 * Stream a request body to `destPath` with a size limit, never holding it in memory. The file
 * appears only when complete (temp file in the same directory, fsync, rename).
 *
 * - Past `maxBytes`: the partial file is removed, the body is drained briefly then destroyed (see
 *   `drainBytes`), and a DomainError('package_too_large', reason 'upload-too-large') is thrown.
 *   A body of exactly `maxBytes` is accepted.
 * - The body fails (client gone, network error): the partial file is removed and the error is
 *   rethrown unchanged.
 */
export async function receiveUpload(
  body: NodeJS.ReadableStream,
  destPath: string,
  maxBytes: number,
  options: ReceiveUploadOptions = {},
): Promise<{ size: number; sha256: string }> {
  // Listen for errors before the first await: a body that fails while the temp file is being
  // created would otherwise emit 'error' with nobody listening, and crash the process.
  let bodyError: unknown;
  const onBodyError = (err: unknown): void => {
    bodyError ??= err;
  };
  body.on('error', onBodyError);
  let file: DurableFile;
  try {
    file = await DurableFile.create(destPath);
  } catch (err) {
    body.removeListener('error', onBodyError);
    throw err;
  }
  const hash = createHash('sha256');
  let size = 0;
  let overLimit = false;
  const stopWatching = watchPace(body, () => size, options);
  try {
    for await (const chunk of iterate(body)) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      if (size + bytes.length > maxBytes) {
        overLimit = true;
        break; // leaves the body undestroyed (see iterate); drained below
      }
      size += bytes.length;
      hash.update(bytes);
      await file.write(bytes);
    }
    if (overLimit) {
      drainThenDestroy(body, options.drainBytes ?? DEFAULT_DRAIN_BYTES);
      throw packageTooLarge(
        'upload-too-large',
        `The upload is larger than the limit of ${describeBytes(maxBytes)} (setting ${zipLimitSettings.maxUploadBytes}). Split the files over several batches, or raise ${zipLimitSettings.maxUploadBytes}, and upload again.`,
        { limit: maxBytes, setting: zipLimitSettings.maxUploadBytes },
      );
    }
    if (bodyError !== undefined) throw bodyError;
    await file.commit();
    return { size, sha256: hash.digest('hex') };
  } catch (err) {
    await file.discard();
    throw err;
  } finally {
    stopWatching();
    body.removeListener('error', onBodyError);
  }
}

/**
 * Cuts off a body that is too slow: past the deadline, or below the minimum rate over the last
 * window. The body is destroyed with a DomainError('request_timeout'), which ends the receiving
 * loop (the caller removes the partial file). Returns the function that stops the watch.
 */
function watchPace(body: NodeJS.ReadableStream, received: () => number, options: ReceiveUploadOptions): () => void {
  const deadline = options.deadlineMs ?? 0;
  const minRate = options.minBytesPerSecond ?? 0;
  if (deadline <= 0 && minRate <= 0) return () => {};
  const windowMs = options.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS;
  const settings = options.settings ?? { deadline: 'SEAL_SIM_UPLOAD_TIMEOUT_MS', minRate: 'SEAL_SIM_UPLOAD_MIN_BYTES_PER_SECOND' };
  const started = Date.now();
  const samples: { at: number; bytes: number }[] = [{ at: started, bytes: 0 }];
  const fail = (error: DomainError): void => {
    clearInterval(timer);
    const readable = body as Partial<Readable>;
    if (typeof readable.destroy === 'function') readable.destroy(error);
    else body.emit('error', error);
  };
  const timer = setInterval(() => {
    const now = Date.now();
    const bytes = received();
    if (deadline > 0 && now - started > deadline) {
      fail(
        new DomainError(
          'request_timeout',
          `The upload did not arrive within ${deadline} ms (setting ${settings.deadline}); ${describeBytes(bytes)} came in. Upload again over a faster connection, or split the files over several batches.`,
          { limit: deadline, setting: settings.deadline },
        ),
      );
      return;
    }
    samples.push({ at: now, bytes });
    while (samples.length > 1 && now - samples[1]!.at >= windowMs) samples.shift();
    const oldest = samples[0]!;
    if (minRate > 0 && now - oldest.at >= windowMs && (bytes - oldest.bytes) * 1000 < minRate * (now - oldest.at)) {
      const rate = Math.round(((bytes - oldest.bytes) * 1000) / (now - oldest.at));
      fail(
        new DomainError(
          'request_timeout',
          `The upload is too slow: ${rate} bytes/s over the last ${Math.round((now - oldest.at) / 1000)} s, below the minimum of ${minRate} bytes/s (setting ${settings.minRate}). Send the body at full speed (stream it from a file, not in small delayed writes).`,
          { limit: minRate, setting: settings.minRate },
        ),
      );
    }
  }, WATCH_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Iterate without destroying the stream when we stop early (Node's Readable#iterator option). */
function iterate(body: NodeJS.ReadableStream): AsyncIterable<unknown> {
  const readable = body as Partial<Readable>;
  if (typeof readable.iterator === 'function') return readable.iterator.call(body, { destroyOnReturn: false });
  return body;
}

/**
 * Read and discard up to `budget` more bytes, then destroy the body if it is still going. Errors
 * from the body after this point concern nobody: they are swallowed here, never left unhandled.
 */
function drainThenDestroy(body: NodeJS.ReadableStream, budget: number): void {
  const readable = body as Partial<Readable> & NodeJS.ReadableStream;
  let discarded = 0;
  const stop = (): void => {
    body.removeListener('data', onData);
    body.removeListener('end', stop);
  };
  const onData = (chunk: unknown): void => {
    discarded += typeof chunk === 'string' ? Buffer.byteLength(chunk) : ((chunk as Buffer).length ?? 0);
    if (discarded > budget) {
      stop();
      if (typeof readable.destroy === 'function') readable.destroy();
      else body.pause();
    }
  };
  body.on('error', () => {});
  if (readable.readableEnded === true || readable.destroyed === true) return;
  body.on('data', onData);
  body.once('end', stop);
  body.resume();
}
