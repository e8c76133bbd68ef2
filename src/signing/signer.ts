import type { ProcessDef } from '../domain/process.js';

/** One file taken from the uploaded package. */
export interface InputFile {
  name: string;
  bytes: Buffer;
}

/** What the process made of one input file. */
export interface FileOutcome {
  /** The input file's name, as listed in BatchStatus.documents[].fileName. */
  fileName: string;
  /** `signed` in BatchStatus: a seal was applied to (or, for validate, checked on) this file. */
  signed: boolean;
  /** `signingResult_Success` in BatchStatus. */
  success: boolean;
  /** Why it failed, or what was checked; goes in the log and the simulator's own views. */
  detail: string;
  /** Files this input contributes to the result package, in order (name → bytes). */
  outputs: InputFile[];
}

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

/**
 * Turns each uploaded file into its result. The worker calls it once per file, off the request
 * path. Implementations must never throw for a bad document: a file that cannot be processed is a
 * `success: false` outcome, the rest of the batch goes on.
 */
export interface Signer {
  /** Human-readable name that the README and logs use ("placeholder", "real test PKI"). */
  readonly kind: string;
  processFile(file: InputFile, ctx: SignContext): Promise<FileOutcome>;
  /** Releases worker threads, if any. */
  close?(): Promise<void>;
}
