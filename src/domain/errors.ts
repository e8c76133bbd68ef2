/**
 * Errors are data. A domain error carries a stable code; `src/http/problem.ts` owns the one table
 * that maps each code to an HTTP status and title. Nothing below the http layer knows about HTTP.
 */
export type ErrorCode =
  | 'unauthorized' // no or unknown API-KEY
  | 'invalid_request' // a malformed parameter or body
  | 'batch_not_found' // unknown id, or another tenant's batch
  | 'process_not_found' // unknown processId
  | 'fault_not_found' // no active fault with that id (for this tenant)
  | 'wrong_state' // the lifecycle does not allow this call now
  | 'package_invalid' // the uploaded ZIP breaks a rule (names the entry where there is one)
  | 'package_too_large' // the upload body or an inflated entry goes past a size limit
  | 'request_timeout' // the client sent its request (or upload) too slowly, or not within the deadline
  | 'too_many_uploads' // the API key already has SEAL_SIM_MAX_UPLOADS_PER_KEY uploads in flight
  | 'too_many_faults' // the tenant (or the simulator) holds as many active faults as allowed
  | 'too_many_batches' // the tenant holds SEAL_SIM_MAX_BATCHES_PER_TENANT batches
  | 'storage_full' // the tenant's packages and results would pass SEAL_SIM_MAX_STORED_BYTES_PER_TENANT
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
