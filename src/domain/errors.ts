import type { Static } from '@sinclair/typebox';
import { Type } from './json-schema.js';
import { STATUSES, type Status } from './status.js';

/**
 * Errors are data. A domain error carries a stable code and the members its problem body adds;
 * `src/http/problem.ts` owns the one table that maps each code to an HTTP status and title.
 * Nothing below the http layer knows about HTTP.
 */

/**
 * The members a problem body may carry besides type, title, status, detail, instance and traceId:
 * one schema, from which the published Problem schema (src/http/schemas.ts) and the TypeScript
 * type of each code's extras below are made.
 */
export const PROBLEM_MEMBERS = {
  batchId: Type.Integer({ description: 'The batch concerned, when there is one' }),
  batchStatus: Type.Unsafe<Status>({ type: 'string', enum: [...STATUSES], description: "The batch's status, for wrong-state errors" }),
  processId: Type.Integer({ description: 'The unknown process, for process-not-found errors' }),
  allow: Type.Array(Type.String(), { description: 'For 405: the methods this path takes (also in the `Allow` header)' }),
  entry: Type.Unsafe<string | number>({
    type: ['string', 'integer'],
    description: "For package errors: the offending ZIP entry's name, or its 1-based position when it has no usable name",
  }),
  reason: Type.String({ description: 'A stable code for package errors', examples: ['nested-path'] }),
  limit: Type.Integer({ description: 'For 408, 413, 429 and 507: the limit that was reached (bytes, a count, ms or bytes per second)' }),
  setting: Type.String({ description: 'For 408, 413, 429 and 507: the setting that sets the limit', examples: ['SEAL_SIM_MAX_UPLOAD_BYTES'] }),
};
const Members = Type.Object(PROBLEM_MEMBERS);
export type ProblemMembers = Static<typeof Members>;

type None = Record<never, never>;
type Has<K extends keyof ProblemMembers> = Pick<ProblemMembers, K>;
type May<K extends keyof ProblemMembers> = Partial<Pick<ProblemMembers, K>>;

/**
 * Every error code, what it means, and the problem members it carries. A code means one thing:
 * a new kind of refusal gets a new code here (and a row in src/http/problem.ts).
 */
export interface ErrorExtras {
  /** No or unknown API-KEY (or admin token). */
  unauthorized: None;
  /** A malformed parameter or body. */
  invalid_request: None;
  /** Unknown batch id, or another tenant's batch. */
  batch_not_found: Has<'batchId'>;
  /** Unknown fault id, or another tenant's fault. */
  fault_not_found: None;
  /** Unknown processId, or one this API key may not use. */
  process_not_found: Has<'processId'>;
  /** The lifecycle does not allow this call now. */
  wrong_state: Has<'batchId' | 'batchStatus'>;
  /** The uploaded ZIP breaks a rule (names the entry where there is one). */
  package_invalid: Has<'reason'> & May<'entry'>;
  /** The upload, or an inflated entry of it, goes past a size limit of the package. */
  package_too_large: Has<'reason'> & May<'entry' | 'limit' | 'setting'>;
  /** A request body other than a package is larger than its route reads. */
  body_too_large: None;
  /** The client sent its request (or upload) too slowly, or not within the deadline. */
  request_timeout: Has<'limit' | 'setting'>;
  /** The API key already has SEAL_SIM_MAX_UPLOADS_PER_KEY uploads in flight. */
  too_many_uploads: Has<'limit' | 'setting'>;
  /** The tenant (or the simulator) holds as many active faults as allowed. */
  too_many_faults: Has<'limit'> & May<'setting'>;
  /** The tenant holds SEAL_SIM_MAX_BATCHES_PER_TENANT batches. */
  too_many_batches: Has<'limit' | 'setting'>;
  /** The tenant's packages and results would pass SEAL_SIM_MAX_STORED_BYTES_PER_TENANT. */
  storage_full: Has<'limit' | 'setting'>;
  /** A Content-Type the route does not read. */
  unsupported_media_type: None;
  not_implemented: None;
  /** The store cannot be written (health), or a result the worker could not produce. */
  unavailable: May<'batchId'>;
}
export type ErrorCode = keyof ErrorExtras;

/** The extras argument: optional where a code carries no required member. */
export type ExtrasArg<T> = None extends T ? [extra?: T] : [extra: T];

/** A code's members; read through an error of unknown code, any member may be there. */
type ExtrasOf<C extends ErrorCode> = ErrorExtras[C] & Partial<ProblemMembers>;

export class DomainError<C extends ErrorCode = ErrorCode> extends Error {
  /**
   * Extra members for the problem body (e.g. `entry`, `batchStatus`), typed by the code: the
   * constructor takes exactly the members that code carries.
   */
  readonly extra: ExtrasOf<C>;

  constructor(
    readonly code: C,
    /** What went wrong and what the caller should do, in the integrator's terms. */
    readonly detail: string,
    ...[extra]: ExtrasArg<ErrorExtras[C]>
  ) {
    super(detail);
    this.name = 'DomainError';
    this.extra = (extra ?? {}) as ExtrasOf<C>;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

/**
 * A setting, or a file a setting names (the processes file, the keys file, the vendor profile,
 * the faults file), that the simulator cannot start with. The message names the setting or file
 * and what is allowed. One type for every such refusal, so the CLI and startSimulator() tell a
 * bad start-up input from a fault of the simulator the same way whichever file it was.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
