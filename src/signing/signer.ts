/**
 * What the rest of the simulator sees of signing: the Signer (sealing and validating the files of
 * one batch) and the file shapes it takes and gives. Behind it, by job:
 *
 *   choosing and running    real-signer.ts (sealing processes, budgets), worker.ts (one process),
 *                           engine.ts / stored-engine.ts (one file: which process does what),
 *                           placeholder-signer.ts (copies, NOT signatures)
 *   naming and sniffing     formats.ts (suffixes, sibling rule, report name, content sniffs)
 *   sealing, by format      pades.ts + pdf-update.ts, cms.ts + cades-file.ts, xades.ts + xades-env.ts
 *   validating              validate.ts, routing to validation/ (detect, cades/cms, xades, pades/pdf,
 *                           timestamp, chain, revocation, judge, report)
 *   the test PKI            pki.ts, pki-material.ts, cert-builder.ts, test-pki.ts, revocation.ts,
 *                           ocsp.ts, tsa.ts
 *   ASN.1                   der.ts (the one DER writer and reader), oids.ts (every OID by name)
 */
import type { ProcessDef } from '../domain/process.js';

/** One file taken from the uploaded package, in memory. */
export interface InputFile {
  name: string;
  bytes: Buffer;
}

/**
 * One file on disk: how the batch worker hands files to the signer and gets its outputs back, so
 * that the server process never holds a document's bytes (a package may hold files of hundreds of
 * MiB each).
 */
export interface StoredFile {
  name: string;
  /** Absolute path. */
  path: string;
}

/** What the process made of one input file. */
export interface FileOutcome<F = InputFile> {
  /** The input file's name, as listed in BatchStatus.documents[].fileName. */
  fileName: string;
  /** `signed` in BatchStatus: a seal was applied to (or, for validate, checked on) this file. */
  signed: boolean;
  /** `signingResult_Success` in BatchStatus. */
  success: boolean;
  /** Why it failed, or what was checked; goes in the log and the simulator's own views. */
  detail: string;
  /** Files this input contributes to the result package, in order. */
  outputs: F[];
  /**
   * Set when the file was stopped for exceeding its budget (`time` or `memory`): the sealing
   * process working on it was killed and replaced.
   */
  overBudget?: 'time' | 'memory' | 'crash';
}

/** Outcome of a stored file: outputs are files too (the input's own path when it is passed on unchanged). */
export type StoredOutcome = FileOutcome<StoredFile>;

/** A file that failed with `detail`: like every failed file, it contributes nothing to the package. */
export function failedOutcome(fileName: string, detail: string, overBudget?: FileOutcome['overBudget']): FileOutcome<never> {
  return { fileName, signed: false, success: false, detail, outputs: [], ...(overBudget ? { overBudget } : {}) };
}

/** A file whose work was stopped: its batch was deleted, or the simulator is stopping. */
export const stoppedOutcome = (fileName: string): FileOutcome<never> => failedOutcome(fileName, `work on "${fileName}" was stopped`);

export interface SignContext {
  process: ProcessDef;
  /** The tenant's clock at the time of signing: signingTime, genTime and the PDF /M come from it. */
  now: Date;
  /**
   * Which seal identity signs (fault injection): `default` (the trusted seal certificate),
   * `expired` (same CA, notAfter in the past), `revoked` (same CA, on its CRL, OCSP says revoked) or
   * `untrusted` (issued by a CA outside the trust list).
   * Absent = `default`. Ignored by the placeholder signer and by `validate`.
   */
  sealIdentity?: 'default' | 'expired' | 'untrusted' | 'revoked';
  /**
   * Another file of the same uploaded package, by exact name (undefined when absent). `validate`
   * uses it to pair `X.p7s` / `X.xades.xml` with their data file `X`. Optional: without it a
   * detached signature cannot be checked and is reported invalid.
   */
  siblings?: (name: string) => Buffer | undefined;
}

/** SignContext for a stored file: siblings are files on disk too. */
export interface StoredContext extends Omit<SignContext, 'siblings'> {
  /** Path of another file of the same package, by exact name (see SignContext.siblings). */
  siblingPaths?: Record<string, string>;
}

export interface StoredOptions {
  /** Aborting stops the work on this file at once (the batch was deleted, or the server stops). */
  signal?: AbortSignal;
}

/**
 * Turns each uploaded file into its result. The worker calls it once per file, off the request
 * path. Implementations must never throw for a bad document: a file that cannot be processed is a
 * `success: false` outcome, the rest of the batch goes on.
 */
export interface Signer {
  /** Human-readable name that the README and logs use ("placeholder", "real test PKI"). */
  readonly kind: string;
  /**
   * In memory: what the batch worker uses for small files (and tests and scripts for any file).
   * Outputs are new buffers, or the input's own for a file passed on unchanged.
   */
  processFile(file: InputFile, ctx: SignContext, opts?: StoredOptions): Promise<FileOutcome>;
  /**
   * On disk: what the batch worker uses for large files. Output files are new files the caller removes once it has
   * used them, except an output whose path is the input's own (a file passed on unchanged).
   */
  processStored(file: StoredFile, ctx: StoredContext, opts?: StoredOptions): Promise<StoredOutcome>;
  /** Releases worker processes, if any. */
  close?(): Promise<void>;
}
