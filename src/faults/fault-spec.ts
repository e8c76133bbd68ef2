import { DomainError } from '../domain/errors.js';
import { PROCESSING } from '../domain/lifecycle.js';
import type { Status } from '../domain/status.js';
import { MAX_SEED } from './prng.js';

/**
 * Fault definitions: what a test asks the simulator to break, as JSON (control API, the
 * SEAL_SIM_FAULTS start-up file, or decoded from a `Prefer` header by ./prefer.ts).
 *
 * Two levels:
 *
 * - **HTTP level** (`level: 'http'`, `point: 'request'`): matched by the HTTP hooks on every vendor
 *   request, with `route` = the vendor route of that request. `latency`, `status`, `reset`,
 *   `empty`, `dribble` may name any route (or `*`); `truncate-download` only `batchfile` (or `*`,
 *   which in practice means the download, the only route that asks for it).
 * - **Domain level** (`level: 'domain'`): matched off the request path, always with
 *   `route: 'AcceptBatch'` ({@link DOMAIN_ROUTE}), the call that started the batch's processing, so
 *   a spec names `AcceptBatch` or `*`:
 *   - `point: 'process'` — `seal-fail`, `expired-cert`, `untrusted-cert`, `revoked-cert`, `corrupt-package`,
 *     `truncate-package`: when the worker processes an accepted batch;
 *   - `point: 'progress'` — `stall` (when the batch enters the named status) and `expire` (when the
 *     batch reaches CLOSED).
 *
 * Each fault fires on the next `count` matching calls (default 1), or, with `probability`, on each
 * matching call with that chance (and at most `count` times when both are given). Random choices
 * come from the fault's own seeded stream (./prng.ts).
 */

export const HTTP_FAULT_KINDS = ['latency', 'status', 'reset', 'empty', 'dribble', 'truncate-download'] as const;
export const DOMAIN_FAULT_KINDS = [
  'seal-fail',
  'stall',
  'corrupt-package',
  'truncate-package',
  'expire',
  'expired-cert',
  'untrusted-cert',
  'revoked-cert',
] as const;
export type HttpFaultKind = (typeof HTTP_FAULT_KINDS)[number];
export type DomainFaultKind = (typeof DOMAIN_FAULT_KINDS)[number];
export type FaultKind = HttpFaultKind | DomainFaultKind;
export const FAULT_KINDS: readonly FaultKind[] = [...HTTP_FAULT_KINDS, ...DOMAIN_FAULT_KINDS];

/** The vendor routes, by the names the journal and faults use. */
export const VENDOR_ROUTES = ['CreateBatch', 'upload', 'BatchStatus', 'BatchDeleteCache', 'AcceptBatch', 'batchfile', 'tsa'] as const;
export type VendorRoute = (typeof VENDOR_ROUTES)[number];
export type FaultRoute = VendorRoute | '*';
export const FAULT_ROUTES: readonly FaultRoute[] = [...VENDOR_ROUTES, '*'];

/** The route domain faults are matched on (see the file comment). */
export const DOMAIN_ROUTE = 'AcceptBatch' satisfies VendorRoute;

/** Where a kind is matched: by the HTTP hooks, by the worker, or by lifecycle progression. */
export type FaultPoint = 'request' | 'process' | 'progress';

export interface KindInfo {
  readonly level: 'http' | 'domain';
  readonly point: FaultPoint;
  /** The routes a spec of this kind may name. */
  readonly routes: readonly FaultRoute[];
  /** Kind-specific fields. */
  readonly params: readonly string[];
  /** One line for docs and error messages. */
  readonly summary: string;
}

const ANY_ROUTE = FAULT_ROUTES;
const DOMAIN_ROUTES: readonly FaultRoute[] = ['*', DOMAIN_ROUTE];

export const KIND_INFO: Readonly<Record<FaultKind, KindInfo>> = {
  latency: { level: 'http', point: 'request', routes: ANY_ROUTE, params: ['ms', 'minMs', 'maxMs'], summary: 'added latency: {ms} or {minMs, maxMs}' },
  status: { level: 'http', point: 'request', routes: ANY_ROUTE, params: ['status', 'detail', 'retryAfter'], summary: 'answer with {status: 400..599} and a problem body ({detail}, {retryAfter} seconds optional)' },
  reset: { level: 'http', point: 'request', routes: ANY_ROUTE, params: [], summary: 'reset the connection (TCP RST) instead of answering' },
  empty: { level: 'http', point: 'request', routes: ANY_ROUTE, params: [], summary: 'close the connection without any response' },
  dribble: { level: 'http', point: 'request', routes: ANY_ROUTE, params: ['chunkBytes', 'intervalMs'], summary: 'send the response body slowly: {chunkBytes} every {intervalMs}' },
  'truncate-download': { level: 'http', point: 'request', routes: ['*', 'batchfile'], params: ['fraction', 'bytes'], summary: 'cut the batchfile download off after {fraction} (0..1) of the body or {bytes}' },
  'seal-fail': { level: 'domain', point: 'process', routes: DOMAIN_ROUTES, params: ['fileName', 'detail'], summary: 'the named file (fileName) or every file of the batch fails to seal' },
  stall: { level: 'domain', point: 'progress', routes: DOMAIN_ROUTES, params: ['status', 'durationMs'], summary: 'the batch stays {durationMs} longer in processing {status}' },
  'corrupt-package': { level: 'domain', point: 'process', routes: DOMAIN_ROUTES, params: ['flips'], summary: 'the result ZIP is produced with {flips} bytes of file data flipped' },
  'truncate-package': { level: 'domain', point: 'process', routes: DOMAIN_ROUTES, params: ['fraction', 'bytes'], summary: 'the result ZIP is produced truncated to {fraction} or {bytes}' },
  expire: { level: 'domain', point: 'progress', routes: DOMAIN_ROUTES, params: ['afterMs'], summary: 'the batch is removed from the cache {afterMs} after CLOSED' },
  'expired-cert': { level: 'domain', point: 'process', routes: DOMAIN_ROUTES, params: ['fileName'], summary: 'the seal is made with an expired certificate (fileName, or every file)' },
  'untrusted-cert': { level: 'domain', point: 'process', routes: DOMAIN_ROUTES, params: ['fileName'], summary: 'the seal is made with a certificate from an untrusted CA (fileName, or every file)' },
  'revoked-cert': { level: 'domain', point: 'process', routes: DOMAIN_ROUTES, params: ['fileName'], summary: 'the seal is made with a certificate the test CA has revoked: its CRL lists it and OCSP answers revoked (fileName, or every file)' },
};

export const isFaultKind = (s: unknown): s is FaultKind => typeof s === 'string' && (FAULT_KINDS as readonly string[]).includes(s);
export const isHttpKind = (k: FaultKind): k is HttpFaultKind => KIND_INFO[k].level === 'http';
export const isDomainKind = (k: FaultKind): k is DomainFaultKind => KIND_INFO[k].level === 'domain';

/** Fields every fault may have. */
export interface FaultCommon {
  /** Given or generated (`f1`, `f2`, ...); names the fault in the journal label. */
  id?: string;
  /** A tenant id (`t-0123abcd4567`, or `public`); omitted = every tenant. */
  tenant?: string;
  /** The vendor route to match, or `*` (default). */
  route: FaultRoute;
  /** Only this batch. */
  batchId?: number;
  /** Fire on the next `count` matching calls (default 1 when `probability` is absent). */
  count?: number;
  /** Fire on each matching call with this chance (0..1); unlimited unless `count` is also given. */
  probability?: number;
  /** Seed of the fault's random stream (uint32); derived from the registry seed and id when absent. */
  seed?: number;
}

export type LatencyFault = FaultCommon & { kind: 'latency'; ms?: number; minMs?: number; maxMs?: number };
export type StatusFault = FaultCommon & { kind: 'status'; status: number; detail?: string; retryAfter?: number };
export type ResetFault = FaultCommon & { kind: 'reset' };
export type EmptyFault = FaultCommon & { kind: 'empty' };
export type DribbleFault = FaultCommon & { kind: 'dribble'; chunkBytes: number; intervalMs: number };
export type TruncateDownloadFault = FaultCommon & { kind: 'truncate-download'; fraction?: number; bytes?: number };
export type SealFailFault = FaultCommon & { kind: 'seal-fail'; fileName?: string; detail?: string };
export type StallFault = FaultCommon & { kind: 'stall'; status: Status; durationMs: number };
export type CorruptPackageFault = FaultCommon & { kind: 'corrupt-package'; flips: number };
export type TruncatePackageFault = FaultCommon & { kind: 'truncate-package'; fraction?: number; bytes?: number };
export type ExpireFault = FaultCommon & { kind: 'expire'; afterMs: number };
export type CertFault = FaultCommon & { kind: 'expired-cert' | 'untrusted-cert' | 'revoked-cert'; fileName?: string };

/** A validated, normalised fault definition (defaults filled in: `route`, `count`, kind params). */
export type FaultSpec =
  | LatencyFault
  | StatusFault
  | ResetFault
  | EmptyFault
  | DribbleFault
  | TruncateDownloadFault
  | SealFailFault
  | StallFault
  | CorruptPackageFault
  | TruncatePackageFault
  | ExpireFault
  | CertFault;

export const LIMITS = {
  maxLatencyMs: 300_000,
  maxCount: 1_000_000,
  maxDribbleChunk: 1_048_576,
  maxDribbleIntervalMs: 60_000,
  maxStallMs: 7 * 86_400_000,
  maxExpireMs: 30 * 86_400_000,
  maxFlips: 64,
  maxDetail: 1000,
  maxRetryAfter: 86_400,
} as const;

export const DEFAULTS = { chunkBytes: 16, intervalMs: 100, fraction: 0.5, flips: 1 } as const;

const COMMON_KEYS = ['id', 'tenant', 'route', 'batchId', 'kind', 'count', 'probability', 'seed'] as const;
/** Shown by the registry, ignored on input, so a listed fault can be posted again to replay it. */
const READ_ONLY_KEYS: ReadonlySet<string> = new Set(['remaining', 'fired', 'matched']);
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Tenant ids as src/http/auth.ts makes them. */
export const TENANT_RE = /^(t-[0-9a-f]{12}|public)$/;

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

const fail = (detail: string): never => {
  throw new DomainError('invalid_request', detail);
};

/**
 * Validates one fault definition and returns it normalised. Throws `DomainError('invalid_request')`
 * naming the field, what it must be and what was sent. `where` prefixes field names in messages
 * (e.g. `faults[2]`).
 */
export function parseFaultSpec(input: unknown, where = 'fault'): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail(`${where} must be a JSON object with at least "kind" (one of ${FAULT_KINDS.join(', ')}); got ${show(input)}.`);
  }
  const o = input as Record<string, unknown>;
  const field = (name: string) => (where.includes('=') ? `${where}; ${name}` : `${where}.${name}`);

  const kind = o.kind;
  if (kind === undefined) fail(`${field('kind')} is required: one of ${FAULT_KINDS.join(', ')}.`);
  if (!isFaultKind(kind)) fail(`${field('kind')} must be one of ${FAULT_KINDS.join(', ')}; got ${show(kind)}.`);
  const info = KIND_INFO[kind as FaultKind];

  const allowed = new Set<string>([...COMMON_KEYS, ...info.params]);
  for (const key of Object.keys(o)) {
    if (o[key] === undefined || READ_ONLY_KEYS.has(key)) continue;
    if (!allowed.has(key)) {
      const params = info.params.length ? info.params.join(', ') : 'none';
      fail(`${where} has a field "${key}" that a ${kind} fault does not take; its own fields are: ${params} (common: ${COMMON_KEYS.join(', ')}).`);
    }
  }

  const int = (name: string, min: number, max: number, required: boolean): number | undefined => {
    const v = o[name];
    if (v === undefined || v === null) {
      if (required) fail(`${field(name)} is required for a ${kind} fault: an integer from ${min} to ${max}.`);
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      fail(`${field(name)} must be an integer from ${min} to ${max}; got ${show(v)}.`);
    }
    return v as number;
  };
  const num = (name: string, min: number, max: number, maxExclusive = false): number | undefined => {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (maxExclusive && v === max)) {
      fail(`${field(name)} must be a number from ${min} to ${max}${maxExclusive ? ' (exclusive)' : ''}; got ${show(v)}.`);
    }
    return v as number;
  };
  const str = (name: string, maxLen: number): string | undefined => {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > maxLen) {
      fail(`${field(name)} must be a non-empty string of at most ${maxLen} characters; got ${show(v)}.`);
    }
    return v as string;
  };

  // Common fields.
  const spec: Record<string, unknown> = {};
  const id = o.id;
  if (id !== undefined && id !== null) {
    if (typeof id !== 'string' || !ID_RE.test(id)) {
      fail(`${field('id')} must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit); got ${show(id)}.`);
    }
    spec.id = id;
  }
  const tenant = o.tenant;
  if (tenant !== undefined && tenant !== null) {
    if (typeof tenant !== 'string' || !TENANT_RE.test(tenant)) {
      fail(
        `${field('tenant')} must be a tenant id such as "t-0123abcd4567" (the simulator derives it from an API key; the control API shows yours) or "public"; got ${show(tenant)}. Leave it out to match every tenant.`,
      );
    }
    spec.tenant = tenant;
  }
  const route = o.route ?? '*';
  if (typeof route !== 'string' || !(FAULT_ROUTES as readonly string[]).includes(route)) {
    fail(`${field('route')} must be one of ${FAULT_ROUTES.join(', ')}; got ${show(route)}.`);
  }
  if (!info.routes.includes(route as FaultRoute)) {
    const why =
      info.level === 'domain'
        ? `a ${kind} fault is a domain fault: it fires ${info.point === 'process' ? 'when the worker processes an accepted batch' : 'as the batch progresses'}, so its route is "*" or "${DOMAIN_ROUTE}" (use batchId to pick the batch)`
        : `a ${kind} fault only applies to ${info.routes.filter((r) => r !== '*').join(', ')}`;
    fail(`${field('route')} ${show(route)} does not fit: ${why}.`);
  }
  spec.route = route;
  const batchId = int('batchId', 1, Number.MAX_SAFE_INTEGER, false);
  if (batchId !== undefined) spec.batchId = batchId;
  spec.kind = kind;

  // Kind parameters.
  switch (kind as FaultKind) {
    case 'latency': {
      const ms = int('ms', 0, LIMITS.maxLatencyMs, false);
      const minMs = int('minMs', 0, LIMITS.maxLatencyMs, false);
      const maxMs = int('maxMs', 0, LIMITS.maxLatencyMs, false);
      if (ms !== undefined && (minMs !== undefined || maxMs !== undefined)) {
        fail(`${where}: give either ms (a fixed latency) or minMs and maxMs (a range), not both.`);
      }
      if (ms !== undefined) spec.ms = ms;
      else if (minMs === undefined || maxMs === undefined) {
        fail(`${where}: a latency fault needs ms (fixed), or both minMs and maxMs (a range drawn per call).`);
      } else if (minMs > maxMs) {
        fail(`${field('minMs')} (${minMs}) must not be greater than ${field('maxMs')} (${maxMs}).`);
      } else {
        spec.minMs = minMs;
        spec.maxMs = maxMs;
      }
      break;
    }
    case 'status': {
      spec.status = int('status', 400, 599, true);
      const detail = str('detail', LIMITS.maxDetail);
      if (detail !== undefined) spec.detail = detail;
      const retryAfter = int('retryAfter', 0, LIMITS.maxRetryAfter, false);
      if (retryAfter !== undefined) spec.retryAfter = retryAfter;
      break;
    }
    case 'reset':
    case 'empty':
      break;
    case 'dribble':
      spec.chunkBytes = int('chunkBytes', 1, LIMITS.maxDribbleChunk, false) ?? DEFAULTS.chunkBytes;
      spec.intervalMs = int('intervalMs', 0, LIMITS.maxDribbleIntervalMs, false) ?? DEFAULTS.intervalMs;
      break;
    case 'truncate-download':
    case 'truncate-package': {
      const fraction = num('fraction', 0, 1, true);
      const bytes = int('bytes', 0, Number.MAX_SAFE_INTEGER, false);
      if (fraction !== undefined && bytes !== undefined) {
        fail(`${where}: give either fraction (0..1 of the body) or bytes (how many bytes to keep), not both.`);
      }
      if (bytes !== undefined) spec.bytes = bytes;
      else spec.fraction = fraction ?? DEFAULTS.fraction;
      break;
    }
    case 'seal-fail': {
      const fileName = str('fileName', 255);
      if (fileName !== undefined) spec.fileName = fileName;
      const detail = str('detail', LIMITS.maxDetail);
      if (detail !== undefined) spec.detail = detail;
      break;
    }
    case 'expired-cert':
    case 'untrusted-cert':
    case 'revoked-cert': {
      const fileName = str('fileName', 255);
      if (fileName !== undefined) spec.fileName = fileName;
      break;
    }
    case 'stall': {
      const status = o.status;
      if (typeof status !== 'string' || !PROCESSING.includes(status as Status)) {
        fail(`${field('status')} must name a processing status the batch can stall in: ${PROCESSING.join(', ')}; got ${show(status)}.`);
      }
      spec.status = status;
      spec.durationMs = int('durationMs', 1, LIMITS.maxStallMs, true);
      break;
    }
    case 'corrupt-package':
      spec.flips = int('flips', 1, LIMITS.maxFlips, false) ?? DEFAULTS.flips;
      break;
    case 'expire':
      spec.afterMs = int('afterMs', 0, LIMITS.maxExpireMs, true);
      break;
  }

  // How often.
  const count = int('count', 1, LIMITS.maxCount, false);
  const probability = num('probability', 0, 1);
  if (count !== undefined) spec.count = count;
  if (probability !== undefined) spec.probability = probability;
  if (count === undefined && probability === undefined) spec.count = 1;
  const seed = int('seed', 0, MAX_SEED, false);
  if (seed !== undefined) spec.seed = seed;

  return spec as unknown as FaultSpec;
}

/** Validates a JSON array of fault definitions (the SEAL_SIM_FAULTS file, a bulk control call). */
export function parseFaultSpecs(input: unknown, where = 'faults'): FaultSpec[] {
  if (!Array.isArray(input)) fail(`${where} must be a JSON array of fault objects; got ${show(input)}.`);
  return (input as unknown[]).map((item, i) => parseFaultSpec(item, `${where}[${i}]`));
}

/**
 * The vendor route a request path names, and the batch id in it when there is one:
 * `/api/BatchStatus/42` → `{ route: 'BatchStatus', batchId: 42 }`; `/api/AcceptBatch` →
 * `{ route: 'AcceptBatch', batchId: null }` (the id may be in the body or query: the caller knows
 * better); anything else → null. Case-sensitive on the route name, as the vendor's server is not
 * guaranteed to be lenient; the query string is ignored.
 */
export function vendorRouteOf(path: string): { route: VendorRoute; batchId: number | null } | null {
  const q = path.indexOf('?');
  const parts = (q >= 0 ? path.slice(0, q) : path).split('/').filter(Boolean);
  const i = parts.indexOf('api');
  const name = i >= 0 ? parts[i + 1] : undefined;
  if (name === undefined || !(VENDOR_ROUTES as readonly string[]).includes(name)) {
    if (parts.includes('tsa')) return { route: 'tsa', batchId: null };
    return null;
  }
  const raw = parts[i + 2];
  const id = raw !== undefined && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : null;
  return { route: name as VendorRoute, batchId: name === 'CreateBatch' ? null : id };
}
