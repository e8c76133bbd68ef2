/**
 * What every check judges against: the simulator's trust anchor, the validation times and the live
 * revocation data of the test PKI.
 */
import type { RevocationSources } from './revocation.js';

export interface Trust {
  anchorDer: Buffer;
  /** The tenant's clock (validation time). */
  now: Date;
  /** The live CRL(s) of the test PKI. */
  revocation: RevocationSources;
}

/**
 * Certificates must be valid at the tenant's clock and at the real current time: a tenant clock set
 * in the past must not make the expired fault identity look valid.
 */
export function validationTimes(now: Date): Date[] {
  const wall = new Date();
  return Math.abs(wall.getTime() - now.getTime()) < 1000 ? [now] : [now, wall];
}
