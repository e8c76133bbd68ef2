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

/** A file of a package as the worker takes it: its bytes (a small file) or a file holding them. */
export type ExtractedEntry = { name: string; bytes: Buffer } | { name: string; path: string };

/**
 * The files of an accepted package, one at a time, each inflated (with the same checks) into a new
 * file in `dir` — or, at most `inMemoryUpTo` bytes long, kept as bytes. The caller owns, and
 * removes, each file.
 */
export function extractEntries(path: string, limits: ZipLimits, dir: string): AsyncIterable<{ name: string; path: string }>;
export function extractEntries(path: string, limits: ZipLimits, dir: string, inMemoryUpTo: number): AsyncIterable<ExtractedEntry>;
export async function* extractEntries(path: string, limits: ZipLimits, dir: string, inMemoryUpTo = -1): AsyncIterable<ExtractedEntry> {
  for await (const { entry, bytes, path: file } of walkZip(path, limits, { dir, inMemoryUpTo })) {
    yield file === undefined ? { name: entry.name, bytes: bytes! } : { name: entry.name, path: file };
  }
}
