import { DomainError } from '../domain/errors.js';
import type { JournalEntry } from './journal.js';

/**
 * "Did my client make these calls, in this order?" — a subsequence check over journal entries,
 * so a test in any language can assert "it polled and then downloaded" with one HTTP call.
 *
 * Each expected step matches entries on every field it gives:
 * - `route` (vendor route name, case-insensitive), `method` (case-insensitive), `batchId`;
 * - `path`: the exact request path (with or without its query string), or a glob where `*` stands
 *   for any run of characters (`"/api/BatchStatus/*"`), matched against the path with and without
 *   its query; `pathPrefix`: the path starts with this text;
 * - `status`: a number, or a class `"2xx"` .. `"5xx"`.
 *
 * Steps must appear in order; other calls may be interleaved. A step needs at least `minTimes`
 * matches (default 1) before the next step's; matches of a step that come before the next step's
 * first match count as its repetitions (a client polling several times), and `maxTimes` (when
 * given) caps them: `{ route: 'upload', maxTimes: 1 }` asserts the package was sent once. An entry
 * that matches both a step and the next one is taken by the next.
 */
export interface ExpectedCall {
  route?: string;
  method?: string;
  path?: string;
  pathPrefix?: string;
  batchId?: number;
  status?: number | StatusClass;
  minTimes?: number;
  maxTimes?: number;
}
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export interface VerifyResult {
  matched: boolean;
  /** The seqs of every matched entry, in order (repetitions included). */
  matchedSeqs: number[];
  /** The seqs each step matched. */
  steps: number[][];
  /** Index (0-based) of the first step that was not satisfied. */
  failedAt?: number;
  reason?: string;
}

export const MAX_STEPS = 200;
const KEYS = ['route', 'method', 'path', 'pathPrefix', 'batchId', 'status', 'minTimes', 'maxTimes'] as const;
/** Longest `path` or `pathPrefix` accepted (a journaled path is bounded too). */
export const MAX_PATTERN_LENGTH = 2048;
/** Fields older clients (or other tools) use for a regular expression: refused with what to use instead. */
const REGEX_FIELDS = ['regex', 'pathRegex', 'pathPattern', 'pattern', 'regexp'];
const NO_REGEX =
  'regular expressions are not accepted (a caller-supplied pattern could stall the server). Match with an exact "path", a glob where * stands for any characters (e.g. "path": "/api/BatchStatus/*"), or "pathPrefix"';

const bad = (detail: string): never => {
  throw new DomainError('invalid_request', detail);
};

/** Validates the expected list from JSON, with messages naming the step and field. */
export function parseExpected(input: unknown, where = 'expected'): ExpectedCall[] {
  if (!Array.isArray(input) || input.length === 0) {
    bad(`${where} must be a non-empty JSON array of steps like {"route": "BatchStatus", "minTimes": 1}; got ${JSON.stringify(input) ?? String(input)}.`);
  }
  const list = input as unknown[];
  if (list.length > MAX_STEPS) bad(`${where} has ${list.length} steps; at most ${MAX_STEPS}.`);
  return list.map((raw, i) => {
    const at = `${where}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      bad(`${at} must be an object with route, method, path, batchId, status, minTimes or maxTimes.`);
    const o = raw as Record<string, unknown>;
    const step: ExpectedCall = {};
    for (const key of Object.keys(o)) {
      if (o[key] === undefined) continue;
      if (REGEX_FIELDS.includes(key)) bad(`${at}.${key}: ${NO_REGEX}.`);
      if (!(KEYS as readonly string[]).includes(key)) bad(`${at} has an unknown field "${key}"; steps take ${KEYS.join(', ')}.`);
    }
    const str = (k: 'route' | 'method' | 'path' | 'pathPrefix'): void => {
      const v = o[k];
      if (v === undefined || v === null) return;
      if (typeof v !== 'string' || v === '') bad(`${at}.${k} must be a non-empty string; got ${JSON.stringify(v)}.`);
      if ((v as string).length > MAX_PATTERN_LENGTH) bad(`${at}.${k} is ${(v as string).length} characters long; at most ${MAX_PATTERN_LENGTH}.`);
      step[k] = v as string;
    };
    const int = (k: 'batchId' | 'minTimes' | 'maxTimes', min: number): void => {
      const v = o[k];
      if (v === undefined || v === null) return;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(`${at}.${k} must be an integer of at least ${min}; got ${JSON.stringify(v)}.`);
      step[k] = v as number;
    };
    str('route');
    str('method');
    str('path');
    str('pathPrefix');
    int('batchId', 1);
    int('minTimes', 1);
    int('maxTimes', 1);
    const status = o.status;
    if (status !== undefined && status !== null) {
      if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) step.status = status;
      else if (typeof status === 'string' && /^[1-5]xx$/i.test(status)) step.status = status.toLowerCase() as StatusClass;
      else bad(`${at}.status must be an HTTP status (100..599) or a class like "2xx"; got ${JSON.stringify(status)}.`);
    }
    if (step.path !== undefined) compilePath(step.path, at);
    if (step.minTimes !== undefined && step.maxTimes !== undefined && step.maxTimes < step.minTimes) {
      bad(`${at}.maxTimes (${step.maxTimes}) is less than minTimes (${step.minTimes}).`);
    }
    if (
      step.route === undefined &&
      step.method === undefined &&
      step.path === undefined &&
      step.pathPrefix === undefined &&
      step.batchId === undefined &&
      step.status === undefined
    ) {
      bad(`${at} matches every call; give at least one of route, method, path, pathPrefix, batchId, status.`);
    }
    return step;
  });
}

/**
 * A `path` written as a regular expression, as earlier versions accepted: between slashes and
 * using regex syntax. Refused with advice rather than silently matched as text.
 */
const looksLikeRegex = (p: string): boolean => p.length >= 2 && p.startsWith('/') && p.endsWith('/') && /[\\^$()[\]{}+?|]/.test(p);

function compilePath(p: string, at: string): (path: string) => boolean {
  if (looksLikeRegex(p)) return bad(`${at}.path ${JSON.stringify(p)} looks like a regular expression; ${NO_REGEX}.`);
  if (p.includes('*')) {
    const glob = compileGlob(p);
    return (path) => glob(path) || glob(path.split('?')[0]!);
  }
  return (path) => path === p || path.split('?')[0] === p;
}

/**
 * A glob where `*` matches any run of characters (every other character is literal). No
 * backtracking: the literal pieces between stars are found left to right, each at its first
 * occurrence after the previous one (for star-only globs the leftmost choice is always right), so
 * a match costs at most one indexOf pass per piece — never exponential, whatever the input.
 */
export function compileGlob(pattern: string): (text: string) => boolean {
  const pieces = pattern.split('*');
  const head = pieces[0]!;
  const tail = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1).filter((piece) => piece !== '');
  if (pieces.length === 1) return (text) => text === pattern;
  return (text) => {
    if (text.length < head.length + tail.length || !text.startsWith(head) || !text.endsWith(tail)) return false;
    let at = head.length;
    const end = text.length - tail.length;
    for (const piece of middle) {
      const found = text.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  };
}

type Matcher = (e: JournalEntry) => boolean;

function compileStep(s: ExpectedCall, at: string): Matcher {
  const route = s.route?.toLowerCase();
  const method = s.method?.toUpperCase();
  const path = s.path === undefined ? undefined : compilePath(s.path, at);
  const prefix = s.pathPrefix;
  const status = s.status;
  return (e) =>
    (route === undefined || (e.route ?? '').toLowerCase() === route) &&
    (method === undefined || e.method.toUpperCase() === method) &&
    (s.batchId === undefined || e.batchId === s.batchId) &&
    (status === undefined || (typeof status === 'number' ? e.status === status : Math.floor(e.status / 100) === Number(status[0]))) &&
    (path === undefined || path(e.path)) &&
    (prefix === undefined || e.path.startsWith(prefix));
}

export const describeStep = (s: ExpectedCall): string => {
  const parts: string[] = [];
  if (s.method) parts.push(s.method.toUpperCase());
  if (s.route) parts.push(s.route);
  if (s.path) parts.push(s.path);
  if (s.pathPrefix) parts.push(`${s.pathPrefix}…`);
  if (s.batchId !== undefined) parts.push(`batch ${s.batchId}`);
  if (s.status !== undefined) parts.push(`→ ${s.status}`);
  return parts.join(' ');
};

const describeEntry = (e: JournalEntry): string => `${e.method} ${e.path} → ${e.status} (seq ${e.seq})`;

/**
 * Whether the expected calls appear in order in `entries` (journal entries, any order: they are
 * sorted by seq; with `opts.tenant`, only that tenant's are considered). `expected` is a list of
 * ExpectedCall as JSON sent it: parseExpected checks it here, step by step, with its own messages.
 */
export function verifySequence(entries: readonly JournalEntry[], expected: unknown, opts: { tenant?: string } = {}): VerifyResult {
  const list = parseExpected(expected);
  const log = entries.filter((e) => opts.tenant === undefined || e.tenant === opts.tenant).sort((a, b) => a.seq - b.seq);
  const matchers = list.map((s, i) => compileStep(s, `expected[${i}]`));
  const steps: number[][] = [];
  const matchedSeqs: number[] = [];
  let pos = 0;
  for (let i = 0; i < list.length; i++) {
    const step = list[i]!;
    const m = matchers[i]!;
    const next = matchers[i + 1];
    const min = step.minTimes ?? 1;
    const seqs: number[] = [];
    const from = pos;
    while (pos < log.length && seqs.length < min) {
      if (m(log[pos]!)) seqs.push(log[pos]!.seq);
      pos++;
    }
    if (seqs.length < min) {
      const after = from > 0 ? ` after seq ${log[from - 1]!.seq}` : '';
      const seen = seqs.length === 0 ? 'no matching call' : `only ${seqs.length} of ${min} matching calls`;
      return {
        matched: false,
        matchedSeqs,
        steps,
        failedAt: i,
        reason: `Step ${i + 1} (${describeStep(step)}): ${seen}${after}.${nearMiss(log.slice(from), step)}`,
      };
    }
    // Repetitions: further matches before the next step's first match.
    let j = pos;
    while (j < log.length) {
      const e = log[j]!;
      if (next?.(e)) break;
      if (m(e)) {
        seqs.push(e.seq);
        pos = j + 1;
      }
      j++;
    }
    if (step.maxTimes !== undefined && seqs.length > step.maxTimes) {
      return {
        matched: false,
        matchedSeqs: [...matchedSeqs, ...seqs],
        steps: [...steps, seqs],
        failedAt: i,
        reason: `Step ${i + 1} (${describeStep(step)}) was made ${seqs.length} times in a row (seqs ${seqs.join(', ')}); at most ${step.maxTimes} expected.`,
      };
    }
    steps.push(seqs);
    matchedSeqs.push(...seqs);
  }
  return { matched: true, matchedSeqs, steps };
}

/** " Closest: GET /api/batchfile/7 → 409 (seq 12)." — a call on the step's route that failed another test. */
function nearMiss(rest: readonly JournalEntry[], step: ExpectedCall): string {
  if (step.route === undefined) return '';
  const route = step.route.toLowerCase();
  const near = rest.filter((e) => (e.route ?? '').toLowerCase() === route);
  if (near.length === 0) return ` No ${step.route} call was made at all in that range.`;
  return ` Calls to ${step.route} seen: ${near.slice(-3).map(describeEntry).join('; ')}.`;
}
