import { DomainError } from '../domain/errors.js';
import { COMMON_PARAMS, type CheckContext, FAULT_KINDS, type FaultSpec, ID_RE, isFaultKind, kindEntry, type ParamSchema, TENANT_RE } from './kinds.js';
import { DOMAIN_ROUTE, FAULT_ROUTES, type FaultRoute } from './vendor-routes.js';

/**
 * Fault definitions: what a test asks the simulator to break, as JSON (control API, the
 * SEAL_SIM_FAULTS start-up file, or decoded from a `Prefer` header by ./prefer.ts), checked against
 * the kind table (./kinds.ts).
 *
 * Two levels:
 *
 * - **HTTP level** (`level: 'http'`, `point: 'request'`): matched by the HTTP hooks on every vendor
 *   request, with `route` = the vendor route of that request.
 * - **Domain level** (`level: 'domain'`): matched off the request path, always with
 *   `route: 'AcceptBatch'` ({@link DOMAIN_ROUTE}), the call that started the batch's processing, so
 *   a spec names `AcceptBatch` or `*`; `point: 'process'` kinds act when the worker processes an
 *   accepted batch, `point: 'progress'` kinds as the batch moves through its statuses.
 *
 * Each fault fires on the next `count` matching calls (default 1), or, with `probability`, on each
 * matching call with that chance (and at most `count` times when both are given). Random choices
 * come from the fault's own seeded stream (./prng.ts).
 */

export { FAULT_KINDS, type FaultKind, type FaultSpec, isFaultKind, isHttpKind, KINDS as KIND_INFO, LIMITS, TENANT_RE } from './kinds.js';
export { DOMAIN_ROUTE, FAULT_ROUTES, type FaultRoute, VENDOR_ROUTES, type VendorRoute, vendorRouteOf } from './vendor-routes.js';

/** The fields every kind takes, in the order refusals list them. */
const COMMON_KEYS = ['id', 'tenant', 'route', 'batchId', 'kind', 'count', 'probability', 'seed'] as const satisfies readonly (
  | keyof typeof COMMON_PARAMS
  | 'route'
  | 'kind'
)[];
/** Shown by the registry, ignored on input, so a listed fault can be posted again to replay it. */
const READ_ONLY_KEYS: ReadonlySet<string> = new Set(['remaining', 'fired', 'matched']);

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

const invalid = (detail: string): DomainError => new DomainError('invalid_request', detail);

/**
 * Checks one field against its schema (./kinds.ts); returns its value, its default, or undefined
 * when it is absent and optional. `null` counts as absent, as JSON clients send it for "not set".
 */
function readParam(o: Record<string, unknown>, name: string, schema: ParamSchema, required: boolean, kind: string, field: (n: string) => string): unknown {
  const v = o[name];
  const absent = v === undefined || v === null;
  if ('enum' in schema) {
    if (absent && !required) return undefined;
    if (typeof v !== 'string' || !schema.enum.includes(v)) {
      throw invalid(`${field(name)} must ${schema.mustBe ?? 'be one of'}: ${schema.enum.join(', ')}; got ${show(v)}.`);
    }
    return v;
  }
  let rule: string;
  let ok: boolean;
  switch (schema.type) {
    case 'integer':
      rule = `an integer from ${schema.minimum} to ${schema.maximum}`;
      ok = typeof v === 'number' && Number.isInteger(v) && v >= schema.minimum && v <= schema.maximum;
      break;
    case 'number': {
      const exclusive = schema.exclusiveMaximum !== undefined;
      const max = schema.exclusiveMaximum ?? schema.maximum ?? Number.MAX_VALUE;
      rule = `a number from ${schema.minimum} to ${max}${exclusive ? ' (exclusive)' : ''}`;
      ok = typeof v === 'number' && Number.isFinite(v) && v >= schema.minimum && (exclusive ? v < max : v <= max);
      break;
    }
    case 'string':
      rule = `a non-empty string of at most ${schema.maxLength} characters`;
      ok = typeof v === 'string' && v.length >= (schema.minLength ?? 0) && v.length <= (schema.maxLength ?? Infinity);
      break;
  }
  if (absent) {
    if (required) throw invalid(`${field(name)} is required for a ${kind} fault: ${rule}.`);
    return schema.type === 'integer' ? schema.default : undefined;
  }
  if (!ok) throw invalid(`${field(name)} must be ${rule}; got ${show(v)}.`);
  return v;
}

/**
 * Validates one fault definition and returns it normalised. Throws `DomainError('invalid_request')`
 * naming the field, what it must be and what was sent. `where` prefixes field names in messages
 * (e.g. `faults[2]`).
 */
export function parseFaultSpec(input: unknown, where = 'fault'): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(`${where} must be a JSON object with at least "kind" (one of ${FAULT_KINDS.join(', ')}); got ${show(input)}.`);
  }
  const o = input as Record<string, unknown>;
  const field = (name: string) => (where.includes('=') ? `${where}; ${name}` : `${where}.${name}`);

  const kind = o.kind;
  if (kind === undefined) throw invalid(`${field('kind')} is required: one of ${FAULT_KINDS.join(', ')}.`);
  if (!isFaultKind(kind)) throw invalid(`${field('kind')} must be one of ${FAULT_KINDS.join(', ')}; got ${show(kind)}.`);
  const info = kindEntry(kind);
  const own = Object.keys(info.params);

  const allowed = new Set<string>([...COMMON_KEYS, ...own]);
  for (const key of Object.keys(o)) {
    if (o[key] === undefined || READ_ONLY_KEYS.has(key)) continue;
    if (!allowed.has(key)) {
      throw invalid(
        `${where} has a field "${key}" that a ${kind} fault does not take; its own fields are: ${own.length ? own.join(', ') : 'none'} (common: ${COMMON_KEYS.join(', ')}).`,
      );
    }
  }
  const read = (name: string, schema: ParamSchema, required = false) => readParam(o, name, schema, required, kind, field);

  // Common fields.
  const spec: Record<string, unknown> = {};
  const id = o.id;
  if (id !== undefined && id !== null) {
    if (typeof id !== 'string' || !ID_RE.test(id)) {
      throw invalid(`${field('id')} must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit); got ${show(id)}.`);
    }
    spec.id = id;
  }
  const tenant = o.tenant;
  if (tenant !== undefined && tenant !== null) {
    if (typeof tenant !== 'string' || !TENANT_RE.test(tenant)) {
      throw invalid(
        `${field('tenant')} must be a tenant id such as "t-0123abcd4567" (the simulator derives it from an API key; the control API shows yours) or "public"; got ${show(tenant)}. Leave it out to match every tenant.`,
      );
    }
    spec.tenant = tenant;
  }
  const route = o.route ?? '*';
  if (typeof route !== 'string' || !(FAULT_ROUTES as readonly string[]).includes(route)) {
    throw invalid(`${field('route')} must be one of ${FAULT_ROUTES.join(', ')}; got ${show(route)}.`);
  }
  if (!info.routes.includes(route as FaultRoute)) {
    const why =
      info.level === 'domain'
        ? `a ${kind} fault is a domain fault: it fires ${info.point === 'process' ? 'when the worker processes an accepted batch' : 'as the batch progresses'}, so its route is "*" or "${DOMAIN_ROUTE}" (use batchId to pick the batch)`
        : `a ${kind} fault only applies to ${info.routes.filter((r) => r !== '*').join(', ')}`;
    throw invalid(`${field('route')} ${show(route)} does not fit: ${why}.`);
  }
  spec.route = route;
  const batchId = read('batchId', COMMON_PARAMS.batchId);
  if (batchId !== undefined) spec.batchId = batchId;
  spec.kind = kind;

  // Kind parameters: each on its own, then the kind's rules across them.
  const given: Record<string, unknown> = {};
  for (const name of own) {
    const value = read(name, info.params[name]!, info.required.includes(name));
    if (value !== undefined) given[name] = value;
  }
  const ctx: CheckContext = { where, field, invalid };
  Object.assign(spec, info.check ? info.check(given, ctx) : given);

  // How often.
  const count = read('count', COMMON_PARAMS.count);
  const probability = read('probability', COMMON_PARAMS.probability);
  if (count !== undefined) spec.count = count;
  if (probability !== undefined) spec.probability = probability;
  if (count === undefined && probability === undefined) spec.count = 1;
  const seed = read('seed', COMMON_PARAMS.seed);
  if (seed !== undefined) spec.seed = seed;

  return spec as FaultSpec;
}

/** Validates a JSON array of fault definitions (the SEAL_SIM_FAULTS file, a bulk control call). */
export function parseFaultSpecs(input: unknown, where = 'faults'): FaultSpec[] {
  if (!Array.isArray(input)) throw invalid(`${where} must be a JSON array of fault objects; got ${show(input)}.`);
  return (input as unknown[]).map((item, i) => parseFaultSpec(item, `${where}[${i}]`));
}
