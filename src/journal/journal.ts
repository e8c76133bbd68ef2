import { createHash, type Hash } from 'node:crypto';
import { DomainError } from '../domain/errors.js';

/**
 * The request journal: every vendor-API request, in a ring buffer bounded by both entry count and
 * bytes, so memory stays flat under floods (oldest evicted first).
 *
 * The byte bound counts each entry as its JSON line (what NDJSON export sends): `stats().bytes` is
 * the sum of the UTF-8 lengths of those lines. Recording is on every vendor request, so an entry is
 * kept as an object and its line is written only when first read (JSON.stringify and an ISO date
 * on every request would be a visible share of the status route's cost); the line's length is computed exactly at record time
 * by `entryJsonBytes`, which a unit test holds to `Buffer.byteLength(JSON.stringify(entry))`. The
 * heap holds a small multiple of `bytes` (object overhead).
 */
export interface JournalEntry {
  /** 1, 2, 3, ... for the life of the journal (not reset by clear). */
  seq: number;
  /** Real time the request arrived, ISO 8601. */
  at: string;
  tenant: string;
  method: string;
  /** The request URL (path and query) as sent. */
  path: string;
  /** The vendor route name (CreateBatch, upload, ...) or null (an unknown path). */
  route: string | null;
  batchId: number | null;
  /** Lower-cased names; secrets replaced by "[redacted]". */
  headers: Record<string, string>;
  bodyBytes: number;
  bodySha256: string | null;
  status: number;
  latencyMs: number;
  /** The label(s) of the fault(s) that fired, e.g. `latency(1200ms)#f3`, or null. */
  fault: string | null;
}

/** What the hook records: an entry without seq; `at` defaults to now, headers are redacted here. */
export type JournalInput = Omit<JournalEntry, 'seq' | 'at' | 'headers'> & {
  at?: string | Date;
  headers: HeaderInput;
};

export type HeaderInput = Record<string, string | number | readonly string[] | undefined>;

/**
 * The journal's filters, one row each: the parser's keys and checks, the JournalQuery type and the
 * control routes' query schema are all made from this table.
 */
export const JOURNAL_FILTERS = {
  tenant: { kind: 'string' },
  route: { kind: 'string' },
  /** At least 1. */
  batchId: { kind: 'integer', min: 1 },
  method: { kind: 'string' },
  /** Entries at or after this time (ISO string, Date or epoch ms). */
  since: { kind: 'time' },
  /** Entries before this time. */
  until: { kind: 'time' },
  /** Only entries with seq greater than this (for a poller that saw up to it). */
  afterSeq: { kind: 'integer', min: 0 },
  /** The newest N matching entries (still oldest first). */
  limit: { kind: 'integer', min: 1 },
} as const satisfies Record<string, { kind: 'string' } | { kind: 'integer'; min: number } | { kind: 'time' }>;
type FilterKind = (typeof JOURNAL_FILTERS)[keyof typeof JOURNAL_FILTERS]['kind'];
type FilterValue<K extends FilterKind> = K extends 'string' ? string : K extends 'integer' ? number : string | Date | number;

export type JournalQuery = { -readonly [K in keyof typeof JOURNAL_FILTERS]?: FilterValue<(typeof JOURNAL_FILTERS)[K]['kind']> };

/** The filters as query-string properties (times as ISO text), for a route's querystring schema. */
export function journalFilterProperties(): Record<keyof typeof JOURNAL_FILTERS, { type: string; description?: string }> {
  const property = (kind: FilterKind) => (kind === 'time' ? { type: 'string', description: 'ISO date-time' } : { type: kind });
  return Object.fromEntries(Object.entries(JOURNAL_FILTERS).map(([key, f]) => [key, property(f.kind)])) as Record<
    keyof typeof JOURNAL_FILTERS,
    { type: string; description?: string }
  >;
}

export interface JournalStats {
  entries: number;
  bytes: number;
  maxEntries: number;
  maxBytes: number;
  /** Entries dropped to keep within the bounds since start (clear does not count). */
  evicted: number;
}

export interface JournalOptions {
  /** Default 10 000. */
  maxEntries?: number;
  /** Default 8 MiB. */
  maxBytes?: number;
}

export const REDACTED = '[redacted]';
/** Request headers never stored: credentials. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set(['api-key', 'authorization', 'cookie', 'proxy-authorization', 'x-admin-token']);
/** Longest header value kept (longer ones are cut and marked), so one request cannot fill the journal. */
export const MAX_HEADER_VALUE = 1024;
const MAX_HEADERS = 64;

/** Lower-cased header names, arrays joined with ", ", secrets replaced, long values cut. */
export function redactHeaders(headers: HeaderInput): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [rawName, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    if (n++ >= MAX_HEADERS) break;
    const name = rawName.toLowerCase();
    if (SECRET_HEADERS.has(name)) {
      out[name] = REDACTED;
      continue;
    }
    let value = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : raw.join(', ');
    if (value.length > MAX_HEADER_VALUE) value = `${value.slice(0, MAX_HEADER_VALUE)}…[${value.length - MAX_HEADER_VALUE} more]`;
    out[name] = value;
  }
  return out;
}

interface Slot {
  seq: number;
  atMs: number;
  tenant: string;
  route: string | null;
  batchId: number | null;
  method: string;
  /** The entry until its line is first needed; then null and `line` holds it. */
  entry: JournalEntry | null;
  line: string | null;
  bytes: number;
}

/** The JSON line of a slot, written on first use. */
function lineOf(slot: Slot): string {
  if (slot.line === null) {
    slot.line = JSON.stringify(slot.entry);
    slot.entry = null;
  }
  return slot.line;
}

/**
 * `new Date(ms).toISOString()`, with the part up to the second kept from the previous call:
 * requests arrive many per second, and a full date formatting each time is measurable.
 */
let isoSecond = NaN;
let isoPrefix = '';
export function isoAt(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const full = new Date(ms).toISOString();
    if (full.length !== 24) return full; // a year outside 0000–9999: not worth caching
    isoSecond = second;
    isoPrefix = full.slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** Printable ASCII without `"` and `\`: JSON writes such a string as is, between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const stringBytes = (v: string): number => (PLAIN.test(v) ? v.length + 2 : Buffer.byteLength(JSON.stringify(v)));
/** JSON writes a finite number as String() does, and anything else as null. */
const valueBytes = (v: string | number | null): number =>
  v === null ? 4 : typeof v === 'number' ? (Number.isFinite(v) ? String(v).length : 4) : stringBytes(v);
/** `{"seq":…,"at":…,…}` without the values: the keys in entry order, quotes, colons, commas, braces. */
const ENTRY_KEYS: readonly (keyof JournalEntry)[] = [
  'seq',
  'at',
  'tenant',
  'method',
  'path',
  'route',
  'batchId',
  'headers',
  'bodyBytes',
  'bodySha256',
  'status',
  'latencyMs',
  'fault',
];
const ENTRY_SKELETON_BYTES = ENTRY_KEYS.reduce((n, k) => n + k.length + 3, 0) + (ENTRY_KEYS.length - 1) + 2;

/**
 * `Buffer.byteLength(JSON.stringify(entry))`, without writing the JSON. Exact for entries built by
 * `Journal.record` (keys in ENTRY_KEYS order; the unit test compares it with the real thing).
 */
export function entryJsonBytes(e: JournalEntry): number {
  let headers = 2;
  let n = 0;
  for (const name in e.headers) {
    headers += stringBytes(name) + 1 + stringBytes(e.headers[name]!) + (n++ > 0 ? 1 : 0);
  }
  return (
    ENTRY_SKELETON_BYTES +
    valueBytes(e.seq) +
    valueBytes(e.at) +
    valueBytes(e.tenant) +
    valueBytes(e.method) +
    valueBytes(e.path) +
    valueBytes(e.route) +
    valueBytes(e.batchId) +
    headers +
    valueBytes(e.bodyBytes) +
    valueBytes(e.bodySha256) +
    valueBytes(e.status) +
    valueBytes(e.latencyMs) +
    valueBytes(e.fault)
  );
}

const toMs = (v: string | Date | number, name: string): number => {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : v.getTime();
  if (!Number.isFinite(ms)) throw new DomainError('invalid_request', `${name} must be an ISO 8601 time or epoch milliseconds; got ${JSON.stringify(v)}.`);
  return ms;
};

export class Journal {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Ring of capacity maxEntries: slots[(head + k) % cap] for k < length. */
  private readonly slots: Array<Slot | undefined>;
  private head = 0;
  private length = 0;
  private bytes = 0;
  private evicted = 0;
  private seq = 0;

  constructor(opts: JournalOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 8 * 1024 * 1024;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1) throw new RangeError('maxBytes must be a positive integer');
    this.slots = new Array<Slot | undefined>(this.maxEntries);
  }

  /** Stores one request (headers redacted here); returns its seq. */
  record(input: JournalInput): number {
    const at = input.at === undefined ? Date.now() : typeof input.at === 'string' ? Date.parse(input.at) : input.at.getTime();
    const atMs = Number.isFinite(at) ? at : Date.now();
    const entry: JournalEntry = {
      seq: ++this.seq,
      at: isoAt(atMs),
      tenant: input.tenant,
      method: input.method,
      path: input.path,
      route: input.route,
      batchId: input.batchId,
      headers: redactHeaders(input.headers),
      bodyBytes: input.bodyBytes,
      bodySha256: input.bodySha256,
      status: input.status,
      latencyMs: input.latencyMs,
      fault: input.fault,
    };
    const bytes = entryJsonBytes(entry);
    if (bytes > this.maxBytes) {
      // Cannot fit even alone (a tiny maxBytes): count it as evicted at once.
      this.evicted++;
      return entry.seq;
    }
    while (this.length > 0 && (this.length >= this.maxEntries || this.bytes + bytes > this.maxBytes)) this.evictOldest();
    const slot: Slot = {
      seq: entry.seq,
      atMs,
      tenant: entry.tenant,
      route: entry.route,
      batchId: entry.batchId,
      method: entry.method,
      entry,
      line: null,
      bytes,
    };
    this.slots[(this.head + this.length) % this.maxEntries] = slot;
    this.length++;
    this.bytes += bytes;
    return entry.seq;
  }

  /** Matching entries, oldest first (the newest `limit` when limited). */
  query(q: JournalQuery = {}): JournalEntry[] {
    return this.select(q).map((s) => JSON.parse(lineOf(s)) as JournalEntry);
  }

  /** The matching entries as NDJSON lines, each ending in "\n" (a snapshot taken at the call). */
  *ndjsonLines(q: JournalQuery = {}): Generator<string> {
    for (const s of this.select(q)) yield `${lineOf(s)}\n`;
  }

  /** The matching entries as one NDJSON string. */
  toNdjson(q: JournalQuery = {}): string {
    return [...this.ndjsonLines(q)].join('');
  }

  /** Removes every entry, or one tenant's. Returns how many. */
  clear(tenant?: string): number {
    const before = this.length;
    if (tenant === undefined) {
      this.slots.fill(undefined);
      this.head = 0;
      this.length = 0;
      this.bytes = 0;
      return before;
    }
    const keep: Slot[] = [];
    for (let k = 0; k < this.length; k++) {
      const s = this.slots[(this.head + k) % this.maxEntries]!;
      if (s.tenant !== tenant) keep.push(s);
    }
    this.slots.fill(undefined);
    this.head = 0;
    this.length = keep.length;
    this.bytes = 0;
    keep.forEach((s, k) => {
      this.slots[k] = s;
      this.bytes += s.bytes;
    });
    return before - keep.length;
  }

  stats(): JournalStats {
    return { entries: this.length, bytes: this.bytes, maxEntries: this.maxEntries, maxBytes: this.maxBytes, evicted: this.evicted };
  }

  /** The seq of the newest entry ever recorded (0 when none), for pollers. */
  get lastSeq(): number {
    return this.seq;
  }

  private evictOldest(): void {
    const s = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.maxEntries;
    this.length--;
    this.bytes -= s.bytes;
    this.evicted++;
  }

  private select(q: JournalQuery): Slot[] {
    const since = q.since === undefined ? undefined : toMs(q.since, 'since');
    const until = q.until === undefined ? undefined : toMs(q.until, 'until');
    const method = q.method?.toUpperCase();
    const out: Slot[] = [];
    const limit = q.limit ?? Infinity;
    // Newest first, so a limit stops early; reversed at the end.
    for (let k = this.length - 1; k >= 0 && out.length < limit; k--) {
      const s = this.slots[(this.head + k) % this.maxEntries]!;
      if (q.afterSeq !== undefined && s.seq <= q.afterSeq) break;
      if (q.tenant !== undefined && s.tenant !== q.tenant) continue;
      if (q.route !== undefined && s.route !== q.route) continue;
      if (q.batchId !== undefined && s.batchId !== q.batchId) continue;
      if (method !== undefined && s.method !== method) continue;
      if (since !== undefined && s.atMs < since) continue;
      if (until !== undefined && s.atMs >= until) continue;
      out.push(s);
    }
    return out.reverse();
  }
}

/**
 * Validates a journal query from a query string or JSON body (all values may be strings):
 * `tenant, route, batchId, method, since, until, afterSeq, limit`. Unknown keys are refused so a
 * typo does not silently return everything.
 */
export function parseJournalQuery(input: Record<string, unknown>): JournalQuery {
  const q: Record<string, string | number> = {};
  const allowed = Object.keys(JOURNAL_FILTERS);
  for (const [key, raw] of Object.entries(input)) {
    if (raw === undefined || raw === '') continue;
    if (!Object.hasOwn(JOURNAL_FILTERS, key)) throw new DomainError('invalid_request', `Unknown journal filter "${key}"; use ${allowed.join(', ')}.`);
    const filter = JOURNAL_FILTERS[key as keyof typeof JOURNAL_FILTERS];
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    switch (filter.kind) {
      case 'string':
        if (typeof v !== 'string') throw new DomainError('invalid_request', `${key} must be a string; got ${JSON.stringify(v)}.`);
        q[key] = v;
        break;
      case 'integer': {
        const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?[0-9]+$/.test(v) ? Number(v) : NaN;
        if (!Number.isSafeInteger(n) || n < filter.min) {
          throw new DomainError('invalid_request', `${key} must be an integer of at least ${filter.min}; got ${JSON.stringify(v)}.`);
        }
        q[key] = n;
        break;
      }
      case 'time': {
        const t = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : (v as string | number);
        toMs(t, key);
        q[key] = t;
        break;
      }
    }
  }
  return q as JournalQuery;
}

/** Counts and hashes a request body as it streams past (for bodyBytes / bodySha256). */
export class BodyMeter {
  private hash: Hash | null = null;
  bytes = 0;

  update(chunk: Buffer | Uint8Array | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (buf.length === 0) return;
    (this.hash ??= createHash('sha256')).update(buf);
    this.bytes += buf.length;
  }

  /** `{ bodyBytes, bodySha256 }`; the digest is null for an empty body. Call once. */
  result(): { bodyBytes: number; bodySha256: string | null } {
    return { bodyBytes: this.bytes, bodySha256: this.hash ? this.hash.digest('hex') : null };
  }
}
