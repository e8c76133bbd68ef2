import { acceptsFile } from '../domain/processes.js';
import type { ProcessDef } from '../domain/process.js';
import { phaseDurations, timingProfile } from '../domain/timing.js';
import { signatureFileName, validationReportName } from '../signing/formats.js';
import { vendorExamples } from '../contract/vendor-bodies.js';
import { KIT_FILES } from './kit-documents.js';
import type { JsonType, Observations } from './observations.js';
import { type RefusalCode, TIMED_PHASES, type VendorProfile } from '../contract/vendor-profile.js';

/**
 * Lays the simulator's model — what it does under a vendor profile — beside what a target was
 * seen to do, aspect by aspect. Each aspect says which profile switch could make the simulator do
 * what the target did, or that none can.
 */

export interface Aspect {
  name: string;
  expected: string;
  observed: string;
  matches: boolean;
  /** The profile field that takes this difference on; null when the simulator has no switch for it. */
  switch: string | null;
  /** The difference is listed in the profile's `cannotTakeOn`: known, reported, not a failure. */
  known?: boolean;
}

/** Which refusal probe is which kind of refusal, in the simulator's error codes. */
export const REFUSAL_PROBES: Record<string, RefusalCode | 'process_not_found'> = {
  'refusal.noKey': 'unauthorized',
  'refusal.unknownId': 'batch_not_found',
  'refusal.otherKey': 'batch_not_found',
  'refusal.acceptNew': 'wrong_state',
  'refusal.downloadEarly': 'wrong_state',
  'refusal.uploadAfterAccept': 'wrong_state',
  'afterDelete.download': 'wrong_state',
  'refusal.folderZip': 'package_invalid',
  'refusal.emptyZip': 'package_invalid',
  'refusal.notZip': 'package_invalid',
  'refusal.oversized': 'package_too_large',
  'refusal.unknownProcess': 'process_not_found',
};

/** Success statuses the vendor documents (and the simulator answers). */
const SUCCESS: Record<string, number> = {
  create: 201,
  create2: 201,
  upload: 202,
  upload2: 202,
  'status.new': 200,
  'status.uploaded': 200,
  accept: 200,
  accept2: 200,
  download: 200,
  delete: 200,
  'casing.lower': 200,
  'casing.upper': 200,
  'afterDelete.status': 200,
};

export function judge(seen: Observations, profile: VendorProfile, process: ProcessDef | undefined): Aspect[] {
  const out: Aspect[] = [];
  const add = (name: string, expected: unknown, observed: unknown, sw: string | null, matches = String(expected) === String(observed)) =>
    out.push({ name, expected: String(expected), observed: String(observed), matches, switch: sw });

  for (const [probe, status] of Object.entries(seen.statuses)) {
    const refusal = REFUSAL_PROBES[probe];
    if (refusal) {
      const expected = refusal === 'process_not_found' ? 404 : profile.refusals[refusal];
      add(`status of ${probe}`, expected, status, refusal === 'process_not_found' ? null : `refusals.${refusal}`);
    } else if (SUCCESS[probe] !== undefined) {
      add(`status of ${probe}`, SUCCESS[probe], status, null);
    }
  }

  const examples = vendorExamples(profile.json, profile.statusTable);
  const model: Record<string, object> = {
    create: examples.batchCreated,
    upload: examples.uploadReceipt,
    status: examples.batchStatus,
    accept: examples.accepted,
    delete: examples.batchDeleted,
  };
  for (const [body, observed] of Object.entries(seen.fields)) {
    const expected = flatTypes(model[body] as Record<string, unknown>);
    for (const field of new Set([...Object.keys(expected), ...Object.keys(observed)])) {
      const e = expected[field] ?? 'absent';
      const o = observed[field] ?? 'absent';
      // string ⇄ number/boolean is what the JSON-types switch changes; anything else is not.
      const sw = e !== o && [e, o].includes('string') && [e, o].some((t) => t === 'number' || t === 'boolean') ? 'json' : null;
      add(`type of ${body}.${field}`, e, o, sw);
    }
  }

  if (seen.statusTable !== null || seen.statusTableEvidence) {
    add('status table', profile.statusTable, seen.statusTable ?? `neither (${seen.statusTableEvidence})`, seen.statusTable ? 'statusTable' : null);
  }

  const timing = profile.timing ? timingProfile('recorded', profile.timing) : timingProfile('fast');
  const expectedPhases = phaseDurations(timing, KIT_FILES.length);
  const slack = Math.max(150, 2 * seen.pollResolutionMs);
  // IN_PROGRESS lasts at least its dwell and as long as the real work: the kit's two small files take
  // well under this on any machine, while a service that takes tens of seconds is still told apart.
  const WORK_ALLOWANCE_MS = 10_000;
  for (const phase of TIMED_PHASES) {
    const e = expectedPhases[phase] ?? 0;
    const o = seen.phases[phase];
    // A phase shorter than the poll interval may never be seen; work can make IN_PROGRESS longer.
    const upper = e + Math.max(slack, e / 2) + (phase === 'IN_PROGRESS' ? WORK_ALLOWANCE_MS : 0);
    const lower = e - Math.max(slack, e / 2);
    const matches = o === null ? e <= slack : o >= lower && o <= upper;
    add(`duration of ${phase} (ms)`, e, o === null ? 'not seen' : o, 'timing', matches);
  }

  add('date format', profile.dates.format, seen.dates.format, seen.dates.format.startsWith('yyyy') ? 'dates.format' : null);
  if (seen.dates.utcOffsetMinutes !== null)
    add('date UTC offset (minutes)', profile.dates.utcOffsetMinutes, seen.dates.utcOffsetMinutes, 'dates.utcOffsetMinutes');

  if (seen.errorBody) {
    const e = profile.errorBody;
    const expected = e.shape === 'json' ? `json{${Object.keys(e.fields).sort().join(',')}}` : e.shape;
    add('error body shape', expected, seen.errorBody.shape, 'errorBody');
  }

  if (seen.download) {
    add(
      'download content type',
      'application/octet-stream',
      seen.download.contentType ?? 'none',
      null,
      /^application\/octet-stream\b/.test(seen.download.contentType ?? ''),
    );
    if (process && seen.download.entries)
      add('download package layout', expectedLayout(process).join(', '), [...seen.download.entries].sort().join(', '), null);
  }
  if (seen.afterDelete.deleteAnswer !== null) add('BatchDeleteCache answers', 'DELETED', seen.afterDelete.deleteAnswer, null);
  if (seen.afterDelete.statusAnswer !== null) add('BatchStatus after delete', 'DELETED', seen.afterDelete.statusAnswer, null);

  const known = new Set(profile.cannotTakeOn);
  for (const a of out) if (!a.matches && known.has(describe(a))) a.known = true;
  return out;
}

/** One line naming a difference; also how a profile's `cannotTakeOn` lists it. */
export const describe = (a: Aspect): string => `${a.name}: the simulator ${a.expected}, the target ${a.observed}`;

/** What the simulator's package holds for the kit's doc.pdf + note.txt under this process. */
export function expectedLayout(p: ProcessDef): string[] {
  const names: string[] = [];
  for (const f of KIT_FILES) {
    if (!acceptsFile(p, f)) continue; // a file the process cannot take fails and leaves nothing
    if (p.operation === 'validate') names.push(f, validationReportName(f));
    else if (p.format === 'PAdES') names.push(f);
    else if (p.format === 'CAdES') names.push(...(p.packaging === 'enveloping' ? [signatureFileName('p7m', f)] : [f, signatureFileName('p7s', f)]));
    else if (p.format === 'XAdES') names.push(f, signatureFileName('xades', f)); // neither kit file is XML: detached
  }
  return names.sort();
}

function flatTypes(json: Record<string, unknown>): Record<string, JsonType> {
  const out: Record<string, JsonType> = {};
  const typeOf = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));
  for (const [k, v] of Object.entries(json)) {
    out[k] = typeOf(v);
    if (k === 'documents' && Array.isArray(v) && v[0]) for (const [dk, dv] of Object.entries(v[0] as object)) out[`documents[].${dk}`] = typeOf(dv);
  }
  return out;
}
