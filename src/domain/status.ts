/**
 * Batch statuses by name, as the vendor spells them (docs/vendor-contract.md#statuses). The simulator always tracks
 * UPLOADED internally; which numeric code a status has, and whether UPLOADED is shown at all,
 * is a presentation choice made by the status table (A = the seed, B = the later copy).
 */
export const STATUSES = ['NEW', 'UPLOADED', 'ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING', 'CLOSED', 'DELETED'] as const;
export type Status = (typeof STATUSES)[number];

export type StatusTableName = 'A' | 'B';

interface StatusTable {
  /** The name a client sees for an internal status. */
  name(status: Status): Status;
  /** The numeric code a client sees (as a string in vendor JSON). */
  code(status: Status): number;
}

const CODES_A: Record<Exclude<Status, 'UPLOADED'>, number> = {
  NEW: 0,
  ACCEPTED: 1,
  READY: 2,
  IN_PROGRESS: 3,
  FINISHING: 4,
  CLOSED: 5,
  DELETED: 6,
};

/** Table A (the vendor page this simulator was seeded from) has no UPLOADED: it reads as NEW. */
const tableA: StatusTable = {
  name: (s) => (s === 'UPLOADED' ? 'NEW' : s),
  code: (s) => CODES_A[s === 'UPLOADED' ? 'NEW' : s],
};

/** Table B (a later copy of the page) numbers every status, UPLOADED included. */
const tableB: StatusTable = {
  name: (s) => s,
  code: (s) => STATUSES.indexOf(s),
};

export const statusTable = (name: StatusTableName): StatusTable => (name === 'A' ? tableA : tableB);

export const isStatus = (s: string): s is Status => (STATUSES as readonly string[]).includes(s);
