import { DomainError } from '../domain/errors.js';

/**
 * Stable, kebab-case reasons a package is refused. They travel in the problem body as `reason`
 * (next to `entry`), so integrators and tests can branch on them; never rename one.
 */
export const packageInvalidReasons = [
  // the file as a whole
  'not-a-zip', // no ZIP end-of-central-directory record anywhere: not a ZIP at all
  'truncated-archive', // starts like a ZIP but its end (the central directory) is missing
  'corrupt-archive', // central directory / local headers / offsets are damaged
  'multi-disk-archive', // a split ("spanned") archive
  'empty-archive', // no files in it
  'too-many-entries', // more files than maxEntries
  // one entry's name
  'invalid-name-encoding', // flagged UTF-8 but the bytes are not UTF-8
  'empty-name',
  'control-character-in-name', // NUL, C0/C1 controls, DEL, bidirectional overrides
  'name-too-long', // more UTF-8 bytes than maxNameLength
  'backslash-in-name',
  'absolute-path', // "/x", "C:x"
  'path-traversal', // a ".." segment
  'directory-entry', // a folder ("docs/", or the directory attribute)
  'nested-path', // a file inside a folder ("docs/a.pdf"): the vendor wants a flat ZIP
  'windows-invalid-name', // <>:"|?*, reserved device names, trailing dot/space (the vendor runs Windows)
  'duplicate-name', // same name as an earlier entry, compared case-insensitively
  // one entry's kind and encoding
  'symlink',
  'encrypted-entry',
  'unsupported-compression', // anything but stored (0) and deflate (8)
  // one entry's data
  'compression-ratio', // declares a ratio beyond maxCompressionRatio: a ZIP bomb
  'size-mismatch', // real inflated size differs from the header (e.g. an under-declared bomb)
  'header-mismatch', // local header disagrees with the central directory
  'overlapping-entries', // entries share bytes (a non-recursive "overlap" bomb)
  'hidden-data', // bytes before the central directory that belong to no listed entry
  'corrupt-entry-data', // the compressed data does not inflate cleanly
  'crc-mismatch',
] as const;

export const packageTooLargeReasons = [
  'upload-too-large', // the raw body is beyond maxUploadBytes
  'entry-too-large', // one file inflates beyond maxEntryBytes
  'total-too-large', // all files together inflate beyond maxTotalBytes
] as const;

export type PackageInvalidReason = (typeof packageInvalidReasons)[number];
export type PackageTooLargeReason = (typeof packageTooLargeReasons)[number];
export type PackageRejectionReason = PackageInvalidReason | PackageTooLargeReason;

/**
 * Which entry is at fault: its decoded name, or its 1-based position in the central directory when
 * it has no usable name. Absent for faults of the archive as a whole.
 */
export type EntryRef = string | number;

export function packageInvalid(reason: PackageInvalidReason, detail: string, entry?: EntryRef): DomainError {
  return new DomainError('package_invalid', detail, entry === undefined ? { reason } : { entry, reason });
}

export function packageTooLarge(reason: PackageTooLargeReason, detail: string, extra: { entry?: EntryRef; limit: number; setting: string }): DomainError {
  const { entry, ...rest } = extra;
  return new DomainError('package_too_large', detail, entry === undefined ? { reason, ...rest } : { entry, reason, ...rest });
}

/**
 * How an entry is named in a detail: quoted and escaped so control characters stay visible and
 * invisible direction overrides cannot reorder the rest of the message.
 */
export function quoteEntry(entry: EntryRef): string {
  if (typeof entry === 'number') return `entry #${entry}`;
  const quoted = JSON.stringify(entry).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `entry ${quoted}`;
}
