import type { ZipLimits } from './limits.js';
import { walkZip } from './walk-zip.js';

/**
 * The files of an accepted package, one at a time, for the worker. Runs exactly the checks of
 * `inspectZip` (the structure is checked in full before the first file is yielded; each file's size
 * and CRC-32 before it is yielded), so at most one inflated file is in memory at a time.
 * Iterate with `for await`: leaving the loop early closes the file.
 */
export async function* readEntries(path: string, limits: ZipLimits): AsyncIterable<{ name: string; bytes: Buffer }> {
  for await (const { entry, bytes } of walkZip(path, limits, true)) {
    yield { name: entry.name, bytes: bytes ?? Buffer.alloc(0) };
  }
}

/**
 * The files of an accepted package, each inflated (with the same checks) into a new file in `dir`,
 * one at a time: nothing of a document is held in memory. The caller owns, and removes, each file.
 */
export async function* extractEntries(path: string, limits: ZipLimits, dir: string): AsyncIterable<{ name: string; path: string; size: number }> {
  for await (const { entry, path: file } of walkZip(path, limits, { dir })) {
    yield { name: entry.name, path: file!, size: entry.size };
  }
}
