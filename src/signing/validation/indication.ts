/**
 * The ETSI EN 319 102-1 vocabulary the validation report speaks: main indications and the
 * sub-indications this validator can reach.
 */
export type Indication = 'TOTAL-PASSED' | 'INDETERMINATE' | 'TOTAL-FAILED';

export type SubIndication =
  // TOTAL-FAILED
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'REVOKED'
  | 'NOT_YET_VALID'
  // INDETERMINATE
  | 'SIG_CONSTRAINTS_FAILURE'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'REVOKED_NO_POE'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'TRY_LATER'
  | 'SIGNED_DATA_NOT_FOUND';

export interface Verdict {
  indication: Indication;
  subIndication?: SubIndication;
}

export const PASSED: Verdict = { indication: 'TOTAL-PASSED' };
export const failed = (subIndication: SubIndication): Verdict => ({ indication: 'TOTAL-FAILED', subIndication });
export const indeterminate = (subIndication: SubIndication): Verdict => ({ indication: 'INDETERMINATE', subIndication });

const RANK: Record<Indication, number> = { 'TOTAL-PASSED': 0, INDETERMINATE: 1, 'TOTAL-FAILED': 2 };

/** The worse of several verdicts (TOTAL-FAILED over INDETERMINATE over TOTAL-PASSED); the first wins ties. */
export function worst(vs: readonly Verdict[]): Verdict | undefined {
  let w: Verdict | undefined;
  for (const v of vs) if (!w || RANK[v.indication] > RANK[w.indication]) w = v;
  return w;
}
