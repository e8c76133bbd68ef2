/**
 * Errors are data. A domain error carries a stable code; `src/http/problem.ts` owns the one table
 * that maps each code to an HTTP status and title. Nothing below the http layer knows about HTTP.
 */
export type ErrorCode =
  | 'unauthorized' // no or unknown API-KEY
  | 'invalid_request' // a malformed parameter or body
  | 'batch_not_found' // unknown id, or another tenant's batch
  | 'process_not_found' // unknown processId
  | 'wrong_state' // the lifecycle does not allow this call now
  | 'package_invalid' // the uploaded ZIP breaks a rule (names the entry where there is one)
  | 'package_too_large' // the upload body or an inflated entry goes past a size limit
  | 'unsupported_media_type'
  | 'not_implemented'
  | 'unavailable'; // the store cannot be written (health)

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** What went wrong and what the caller should do, in the integrator's terms. */
    readonly detail: string,
    /** Extra members for the problem body (e.g. `entry`, `batchStatus`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
