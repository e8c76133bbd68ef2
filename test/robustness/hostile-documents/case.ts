/**
 * One hostile document case: what an attacker sends, and what must still hold for everyone else.
 * Each case lives in `cases/<process-kind>-<what>.ts` with a default export of this shape;
 * `generate.ts` writes its files to `generated/<id>/` so each one can be inspected, and
 * `hostile-documents.test.ts` sends every case to a real server process.
 */
export interface HostileCase {
  /** Short id, used as the file name of the generated document(s) and in test names. */
  id: string;
  /** Which attack it reproduces and why it is dangerous (one or two sentences). */
  why: string;
  /** Process it is sent to (1 PAdES-B-T, 2 CAdES, 3 XAdES, 4 validate, ...). */
  processId: number;
  /** The files of the package; small by construction (the short form sends them as they are). */
  files(): Promise<{ name: string; bytes: Buffer }[]> | { name: string; bytes: Buffer }[];
  /** Larger parameters for the long form (npm script), same shape. Optional. */
  longFiles?(): Promise<{ name: string; bytes: Buffer }[]> | { name: string; bytes: Buffer }[];
  /** What the attacker's own batch must end as: every file failed with a reason, or any end state. */
  expect: 'files-fail' | 'any';
}
