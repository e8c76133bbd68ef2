import { readFileSync } from 'node:fs';
import { ConfigError } from '../domain/errors.js';

/**
 * A vendor profile: what the real service was observed to do, in the terms of the switches the
 * simulator has. `seal-simulator conformance --write-profile` writes one from what it saw on a
 * target; `SEAL_SIM_PROFILE` loads one. The committed default (fixtures/profiles/
 * vendor-documentation.json) is the vendor's documentation as read today, so loading nothing and
 * loading it behave the same.
 *
 * What no switch can express is kept in `cannotTakeOn`, as the report listed it, so a profile
 * carries its own caveats.
 */

/** Lifecycle phases whose visible duration the `recorded` timing replays. */
export const TIMED_PHASES = ['ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING'] as const;
export type TimedPhase = (typeof TIMED_PHASES)[number];

/** Date formats the simulator can write (the vendor's page shows the first). */
export const DATE_FORMATS = [
  'yyyy-MM-dd HH:mm:ss',
  'yyyy-MM-ddTHH:mm:ss',
  'yyyy-MM-ddTHH:mm:ssZ',
  'yyyy-MM-ddTHH:mm:ss.fffZ',
  'yyyy-MM-ddTHH:mm:ss±hh:mm',
] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** Refusals whose HTTP status a profile may move, by the simulator's error code. */
export const REFUSAL_CODES = ['wrong_state', 'batch_not_found', 'unauthorized', 'package_invalid', 'package_too_large'] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Members of the simulator's problem body that an observed error body's fields may carry. */
export const PROBLEM_MEMBERS = ['type', 'title', 'status', 'detail', 'instance', 'traceId'] as const;
export type ProblemMember = (typeof PROBLEM_MEMBERS)[number];

export type ErrorBodyShape =
  | { shape: 'problem+json' }
  /** A JSON object with the observed field names, each filled from one problem member. */
  | { shape: 'json'; contentType: string; fields: Record<string, ProblemMember> }
  /** The detail as plain text. */
  | { shape: 'text'; contentType: string }
  /** No body at all. */
  | { shape: 'empty' };

export interface VendorProfile {
  profile: 1;
  name: string;
  /** Where the observations came from (target, date), for people. */
  source: string;
  statusTable: 'A' | 'B';
  json: 'vendor' | 'typed';
  dates: { format: DateFormat; utcOffsetMinutes: number };
  /** Observed milliseconds per phase (the `recorded` timing); null: the simulator's own timing. */
  timing: Record<TimedPhase, number> | null;
  refusals: Record<RefusalCode, number>;
  errorBody: ErrorBodyShape;
  /** Differences the report found that no switch of the simulator can take on. */
  cannotTakeOn: string[];
}

export const DEFAULT_PROFILE_FILE = 'fixtures/profiles/vendor-documentation.json';

/** Reads and checks a profile file; every problem names the field and what is allowed. */
export function loadProfile(path: string): VendorProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read the vendor profile ${path}: ${(e as Error).message}`);
  }
  return parseProfile(raw, path);
}

/**
 * The vendor's documentation as read today, with the simulator's decisions where it is silent.
 * Loading it changes nothing. fixtures/profiles/vendor-documentation.json is the same profile as
 * a file to copy and edit (a test keeps the two equal); the code does not need the file, so an
 * image or a package that lacks it still starts.
 */
export const DEFAULT_PROFILE: VendorProfile = Object.freeze({
  profile: 1,
  name: 'vendor-documentation',
  source:
    "The vendor's batch-methods page as read on 2026-11-30, with the simulator's decisions where it is silent (docs/vendor-contract.md). Loading it changes nothing: it is what the simulator does by default.",
  statusTable: 'A',
  json: 'vendor',
  dates: { format: 'yyyy-MM-dd HH:mm:ss', utcOffsetMinutes: 0 },
  timing: null,
  refusals: { wrong_state: 409, batch_not_found: 404, unauthorized: 401, package_invalid: 400, package_too_large: 413 },
  errorBody: { shape: 'problem+json' },
  cannotTakeOn: [],
}) as VendorProfile;

export function parseProfile(raw: unknown, where = 'profile'): VendorProfile {
  const fail = (msg: string): never => {
    throw new ConfigError(`${where}: ${msg}`);
  };
  const o = isObject(raw) ? raw : fail('must be a JSON object');
  if (o.profile !== 1) fail('"profile" must be 1 (the format version)');
  const oneOf = <T extends string>(key: string, value: unknown, allowed: readonly T[]): T =>
    (allowed as readonly unknown[]).includes(value) ? (value as T) : fail(`"${key}" must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  const status = (key: string, v: unknown): number =>
    Number.isInteger(v) && (v as number) >= 400 && (v as number) <= 599
      ? (v as number)
      : fail(`"${key}" must be an HTTP error status (400-599); got ${JSON.stringify(v)}`);

  const dates = isObject(o.dates) ? o.dates : fail('"dates" must be an object with "format" and "utcOffsetMinutes"');
  const offset = dates.utcOffsetMinutes;
  if (!Number.isInteger(offset) || Math.abs(offset as number) > 14 * 60) fail('"dates.utcOffsetMinutes" must be a whole number of minutes within ±840');

  let timing: VendorProfile['timing'] = null;
  if (o.timing !== null && o.timing !== undefined) {
    const t = isObject(o.timing) ? o.timing : fail('"timing" must be null or an object of milliseconds per phase');
    timing = Object.fromEntries(
      TIMED_PHASES.map((p) => {
        const ms = t[p];
        if (!Number.isInteger(ms) || (ms as number) < 0 || (ms as number) > 86_400_000) fail(`"timing.${p}" must be milliseconds from 0 to 86400000`);
        return [p, ms as number];
      }),
    ) as Record<TimedPhase, number>;
  }

  const r = isObject(o.refusals) ? o.refusals : fail('"refusals" must be an object of HTTP statuses by error code');
  const refusals = Object.fromEntries(REFUSAL_CODES.map((c) => [c, status(`refusals.${c}`, r[c])])) as Record<RefusalCode, number>;

  const e = isObject(o.errorBody) ? o.errorBody : fail('"errorBody" must be an object with "shape"');
  let errorBody: ErrorBodyShape;
  switch (oneOf('errorBody.shape', e.shape, ['problem+json', 'json', 'text', 'empty'] as const)) {
    case 'problem+json':
      errorBody = { shape: 'problem+json' };
      break;
    case 'empty':
      errorBody = { shape: 'empty' };
      break;
    case 'text':
      errorBody = { shape: 'text', contentType: typeof e.contentType === 'string' ? e.contentType : 'text/plain; charset=utf-8' };
      break;
    case 'json': {
      const f = isObject(e.fields) ? e.fields : fail('"errorBody.fields" must map each field name to a problem member');
      const fields: Record<string, ProblemMember> = {};
      for (const [name, member] of Object.entries(f)) fields[name] = oneOf(`errorBody.fields.${name}`, member, PROBLEM_MEMBERS);
      if (Object.keys(fields).length === 0) fail('"errorBody.fields" must name at least one field');
      errorBody = { shape: 'json', contentType: typeof e.contentType === 'string' ? e.contentType : 'application/json', fields };
      break;
    }
  }

  return {
    profile: 1,
    name: typeof o.name === 'string' ? o.name : 'unnamed',
    source: typeof o.source === 'string' ? o.source : '',
    statusTable: oneOf('statusTable', o.statusTable, ['A', 'B'] as const),
    json: oneOf('json', o.json, ['vendor', 'typed'] as const),
    dates: { format: oneOf('dates.format', dates.format, DATE_FORMATS), utcOffsetMinutes: offset as number },
    timing,
    refusals,
    errorBody: errorBody!,
    cannotTakeOn: Array.isArray(o.cannotTakeOn) ? o.cannotTakeOn.map(String) : [],
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Formats a vendor date in the profile's format and offset. */
export function dateFormatter(dates: VendorProfile['dates']): (ms: number) => string {
  const { format, utcOffsetMinutes: offset } = dates;
  const zone = offset === 0 ? '+00:00' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return (ms) => {
    const iso = new Date(ms + offset * 60_000).toISOString(); // the wall time at that offset, spelled in ISO
    switch (format) {
      case 'yyyy-MM-dd HH:mm:ss':
        return iso.slice(0, 19).replace('T', ' ');
      case 'yyyy-MM-ddTHH:mm:ss':
        return iso.slice(0, 19);
      case 'yyyy-MM-ddTHH:mm:ssZ':
        return offset === 0 ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 19)}${zone}`;
      case 'yyyy-MM-ddTHH:mm:ss.fffZ':
        return offset === 0 ? iso : `${iso.slice(0, 23)}${zone}`;
      case 'yyyy-MM-ddTHH:mm:ss±hh:mm':
        return `${iso.slice(0, 19)}${zone}`;
    }
  };
}
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Which of DATE_FORMATS a date string is written in, and its UTC offset when it says one; null when
 * it is none of them.
 */
export function detectDateFormat(text: string): { format: DateFormat; offsetMinutes: number | null } | null {
  let m: RegExpExecArray | null;
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return { format: 'yyyy-MM-dd HH:mm:ss', offsetMinutes: null };
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(text)) return { format: 'yyyy-MM-ddTHH:mm:ss', offsetMinutes: null };
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text)) return { format: 'yyyy-MM-ddTHH:mm:ssZ', offsetMinutes: 0 };
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,7}Z$/.test(text)) return { format: 'yyyy-MM-ddTHH:mm:ss.fffZ', offsetMinutes: 0 };
  if ((m = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?([+-])(\d{2}):(\d{2})$/.exec(text))) {
    return { format: 'yyyy-MM-ddTHH:mm:ss±hh:mm', offsetMinutes: (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) };
  }
  return null;
}
