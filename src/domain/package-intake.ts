import type { DomainError } from './errors.js';

/** An upload stored as a package blob of its batch, inspected and found sound. */
export interface ReceivedPackage {
  /** The blob's reference (see BlobStore). */
  ref: string;
  size: number;
  sha256: string;
  /** The package's files, in the order the archive lists them. */
  files: { name: string; size: number }[];
}

export interface IntakeOptions {
  /** The most bytes this upload may have (at most `PackageIntake.maxBytes`). */
  maxBytes: number;
  /** The refusal for a body over `maxBytes`, when a limit other than the intake's own set it. */
  tooLarge?: () => DomainError;
  /**
   * Asked once the bytes are stored, before they are inspected, with their size: a throw refuses
   * the upload (a quota another upload may have used up meanwhile).
   */
  admit?: (size: number) => void;
}

/**
 * Turns an upload body into a stored package and its file list. Bodies are hostile: the intake
 * streams them (never holding one whole), bounds their size and pace, and inspects the archive
 * before anything is recorded. A refusal is a DomainError that names what to fix, and leaves no
 * blob behind; a package it returns is the caller's to record or to remove.
 */
export interface PackageIntake {
  /** The most bytes any upload may have (the limit a 413 names by default). */
  readonly maxBytes: number;
  receive(batchId: number, body: NodeJS.ReadableStream, options: IntakeOptions): Promise<ReceivedPackage>;
}
