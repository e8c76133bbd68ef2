import { randomUUID } from 'node:crypto';

/**
 * This run's token in a PKI lock's owner file (pki.ts): it tells this process from an earlier one
 * that had the same pid. A PKI thread (pki-thread.ts) adopts its process's token, since a thread
 * has the process's pid and is part of the same run; with a token of its own, two loads of one
 * process would each take the other's lock for a dead run's.
 */
let run: string = randomUUID();

export const lockRun = (): string => run;

export function adoptLockRun(token: string): void {
  run = token;
}
