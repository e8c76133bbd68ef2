import type { ZipLimits } from './limits.js';
import { walkZip, type PackageEntry } from './walk-zip.js';

export type { PackageEntry } from './walk-zip.js';

/**
 * Inspect an uploaded package on disk: every entry is really inflated (streamed, never held whole)
 * and checked; see `walkZip` for the rules. Resolves with the files in central-directory order, or
 * rejects with a `DomainError` ('package_invalid' / 'package_too_large', extra `{ entry, reason }`).
 * Any other rejection is an I/O failure of our own (e.g. the file vanished), not the upload's fault.
 */
export async function inspectZip(path: string, limits: ZipLimits): Promise<PackageEntry[]> {
  const entries: PackageEntry[] = [];
  for await (const { entry } of walkZip(path, limits, false)) entries.push(entry);
  return entries;
}
