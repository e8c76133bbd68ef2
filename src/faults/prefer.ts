/**
 * The one decoder of the `Prefer` request header (RFC 7240) for per-request faults, as Prism does.
 *
 * Grammar (RFC 7240 §2, RFC 8187 for `name*` parameters):
 *
 *     Prefer     = preference *( "," preference )     ; several Prefer headers = one list
 *     preference = token [ "=" word ] *( ";" [ param ] )
 *     param      = token [ "=" word ]  /  token "*=" ext-value
 *     word       = token / quoted-string              ; "a \"b\".pdf" with backslash escapes
 *     ext-value  = "UTF-8" "'" [ language ] "'" percent-encoded-bytes   ; file*=UTF-8''%C5%BC.pdf
 *
 * Preferences this simulator understands (names and parameter names are case-insensitive):
 *
 *     Prefer: code=503                       → a `status` fault (400..599); code=2xx is ignored
 *                                              (success is what happens anyway). Takes the
 *                                              parameters of `status` (detail, retryAfter).
 *     Prefer: fault=reset                    → reset the connection
 *     Prefer: fault=empty                    → close without a response
 *     Prefer: fault=latency; ms=1500         → or minMs=100; maxMs=900
 *     Prefer: fault=status; status=429; retryAfter=2; detail="slow down"
 *     Prefer: fault=dribble; chunkBytes=16; intervalMs=50
 *     Prefer: fault=truncate-download; fraction=0.5      (or bytes=1000; batchfile only)
 *     Prefer: fault=seal-fail; file=a.pdf    → on CreateBatch, upload or AcceptBatch: applies to
 *                                              this request's batch (file, fileName and file* all
 *                                              name the file; without it every file fails)
 *     Prefer: fault=stall; status=READY; durationMs=5000
 *     Prefer: fault=expire; afterMs=60000
 *     Prefer: fault=corrupt-package | truncate-package | expired-cert | untrusted-cert | revoked-cert
 *
 * Every fault preference may also carry `seed` and `probability`. HTTP-level faults apply to this
 * request only; domain-level faults to this request's batch (count 1). Unknown preferences
 * (`return=minimal`, `respond-async`, Prism's `example=` / `dynamic=` ...) are ignored, as RFC 7240
 * says; a malformed fault preference (unknown kind, unknown or bad parameter, two fault
 * preferences at once, a fault that cannot apply to this route) is a 400 invalid_request.
 */
import { DomainError } from '../domain/errors.js';
import { parseFaultSpec } from './fault-spec.js';
import { COMMON_PARAMS, FAULT_KINDS, type FaultKind, type FaultSpec, isFaultKind, kindEntry, type ParamSchema } from './kinds.js';
import { DOMAIN_ROUTE, type VendorRoute } from './vendor-routes.js';

export interface Preference {
  /** Lower-cased name. */
  name: string;
  /** The value, unquoted; undefined for a bare `respond-async`. */
  value: string | undefined;
  /** Parameters by lower-cased name (a `name*` ext-value is decoded and stored as `name`). */
  params: Map<string, string | undefined>;
}

/** Routes on which a domain fault may be asked for via Prefer: those that name a batch to be processed. */
export const PREFER_DOMAIN_ROUTES: readonly VendorRoute[] = ['CreateBatch', 'upload', 'AcceptBatch'];

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

const malformed = (detail: string): never => {
  throw new DomainError('invalid_request', `Malformed Prefer header: ${detail}`);
};

/**
 * Splits a Prefer header into preferences. Lenient about what it does not need: a syntax error
 * in a preference is reported only if that preference is a fault (`strictFor`), else the rest of
 * the header after it is dropped.
 */
export function parsePrefer(header: string | readonly string[] | undefined, strictFor: ReadonlySet<string> = new Set(['code', 'fault'])): Preference[] {
  if (header === undefined) return [];
  const text = typeof header === 'string' ? header : header.join(',');
  const out: Preference[] = [];
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && TCHAR.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  const word = (): string | null => {
    if (text[i] === '"') {
      i++;
      let s = '';
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        s += text[i++];
      }
      if (text[i] !== '"') return null;
      i++;
      return s;
    }
    const t = token();
    return t === '' ? null : t;
  };
  const skipToNextPreference = () => {
    let quoted = false;
    while (i < n && (quoted || text[i] !== ',')) {
      if (text[i] === '\\' && quoted) i++;
      else if (text[i] === '"') quoted = !quoted;
      i++;
    }
  };

  while (i < n) {
    ws();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (i >= n) break;
    const name = token().toLowerCase();
    const strict = strictFor.has(name);
    const bad = (what: string): boolean => {
      if (strict) malformed(`${what} in ${JSON.stringify(text)}.`);
      skipToNextPreference();
      return false;
    };
    if (name === '') {
      bad(`expected a preference name at position ${i}`);
      continue;
    }
    ws();
    let value: string | undefined;
    if (text[i] === '=') {
      i++;
      ws();
      const w = word();
      if (w === null) {
        bad(`"${name}=" has no value (or an unterminated quote)`);
        continue;
      }
      value = w;
    }
    const params = new Map<string, string | undefined>();
    let ok = true;
    ws();
    while (ok && text[i] === ';') {
      i++;
      ws();
      if (i >= n || text[i] === ',' || text[i] === ';') continue;
      let pname = token().toLowerCase();
      if (pname === '') {
        ok = bad(`expected a parameter name after ";" at position ${i}`);
        break;
      }
      let ext = false;
      if (pname.endsWith('*')) {
        ext = true;
        pname = pname.slice(0, -1);
      }
      ws();
      let pvalue: string | undefined;
      if (text[i] === '=') {
        i++;
        ws();
        if (ext) {
          const start = i;
          while (i < n && text[i] !== ';' && text[i] !== ',' && text[i] !== ' ') i++;
          const decoded = decodeExtValue(text.slice(start, i));
          if (decoded === null) {
            ok = bad(`${pname}*= must be an RFC 8187 value like UTF-8''a%20b.pdf`);
            break;
          }
          pvalue = decoded;
        } else {
          const w = word();
          if (w === null) {
            ok = bad(`parameter "${pname}=" has no value (or an unterminated quote)`);
            break;
          }
          pvalue = w;
        }
      }
      params.set(pname, pvalue);
      ws();
    }
    if (!ok) continue;
    if (i < n && text[i] !== ',') {
      bad(`unexpected ${JSON.stringify(text[i])} at position ${i} (separate preferences with "," and parameters with ";")`);
      continue;
    }
    out.push({ name, value, params });
  }
  return out;
}

function decodeExtValue(v: string): string | null {
  const m = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'(.*)$/.exec(v);
  if (!m || m[1]!.toUpperCase() !== 'UTF-8') return null;
  try {
    return decodeURIComponent(m[2]!);
  } catch {
    return null;
  }
}

/** Prefer spellings that name a field by a shorter word: `file=a.pdf` for fileName. */
const ALIASES: Readonly<Record<string, string>> = { file: 'fileName' };

interface PreferParam {
  /** The field of the fault definition it sets. */
  field: string;
  schema: ParamSchema;
}

/**
 * The parameters a fault preference of this kind takes, by lower-cased name: the kind's own fields
 * (./kinds.ts) and their aliases, then `seed` and `probability`.
 */
function preferParams(kind: FaultKind): ReadonlyMap<string, PreferParam> {
  const params = new Map<string, PreferParam>();
  const fields: Record<string, ParamSchema> = { ...kindEntry(kind).params, seed: COMMON_PARAMS.seed, probability: COMMON_PARAMS.probability };
  for (const [field, schema] of Object.entries(fields)) {
    for (const [alias, target] of Object.entries(ALIASES)) if (target === field) params.set(alias, { field, schema });
    params.set(field.toLowerCase(), { field, schema });
  }
  return params;
}
const PREFER_PARAMS = new Map(FAULT_KINDS.map((k) => [k, preferParams(k)]));

/** How refusals list a kind's parameters: one name per field, the alias where there is one. */
const takes = (params: ReadonlyMap<string, PreferParam>, except?: string): string => {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const [name, p] of params) {
    if (seen.has(p.field) || p.field === except) continue;
    seen.add(p.field);
    names.push(name === p.field.toLowerCase() ? p.field : name);
  }
  return names.join(', ');
};

export interface PreferContext {
  /** The vendor route of this request. */
  route: VendorRoute;
  /** The request's tenant (request.tenant). */
  tenant: string;
  /** The batch this request names, when known (not on CreateBatch: set it once the batch exists). */
  batchId?: number | null;
}

/**
 * The fault this request asks for with `Prefer`, or null. HTTP-level kinds come back with
 * `route` = this route and count 1 (apply them to this request: `registry.fireNow(spec)`);
 * domain-level kinds with `route: 'AcceptBatch'`, this tenant and batch, count 1 (store them:
 * `registry.add(spec)`, before the handler runs).
 */
export function decodePrefer(header: string | readonly string[] | undefined, ctx: PreferContext): FaultSpec | null {
  const prefs = parsePrefer(header).filter((p) => p.name === 'fault' || p.name === 'code');
  const faults: Preference[] = [];
  for (const p of prefs) {
    if (p.name === 'code') {
      if (p.value === undefined || !/^[0-9]{3}$/.test(p.value)) {
        malformed(`code= must be a 3-digit HTTP status (400..599 to make this request fail); got ${JSON.stringify(p.value ?? '')}.`);
      }
      const code = Number(p.value);
      if (code >= 200 && code <= 299) continue; // success: what the simulator answers anyway
      if (code < 400 || code > 599) malformed(`code=${code} cannot be simulated; ask for 400..599 (or leave it out for success).`);
    } else if (p.value === undefined) {
      malformed(`fault= needs a kind: one of ${FAULT_KINDS.join(', ')}.`);
    }
    faults.push(p);
  }
  if (faults.length === 0) return null;
  if (faults.length > 1) {
    malformed(`ask for one fault per request (got ${faults.map((p) => `${p.name}=${p.value}`).join(' and ')}); set several at once with the control API.`);
  }
  const pref = faults[0]!;
  const kind = pref.name === 'code' ? 'status' : pref.value!.toLowerCase();
  if (!isFaultKind(kind)) malformed(`fault=${pref.value} is not a fault kind; use one of ${FAULT_KINDS.join(', ')}.`);
  const info = kindEntry(kind as FaultKind);
  const params = PREFER_PARAMS.get(kind as FaultKind)!;
  const where = pref.name === 'code' ? `code=${pref.value}` : `fault=${kind}`;
  // code=503 is the status itself; it takes the status fault's other parameters.
  const fixed = pref.name === 'code' ? 'status' : undefined;

  const spec: Record<string, unknown> = { kind };
  if (fixed) spec.status = Number(pref.value);
  for (const [raw, value] of pref.params) {
    const param = params.get(raw);
    if (param === undefined || param.field === fixed) malformed(`${where} takes no parameter "${raw}"; it takes ${takes(params, fixed)}.`);
    if (value === undefined) malformed(`${where}: parameter "${raw}" needs a value (${raw}=...).`);
    const { field, schema } = param!;
    if ('enum' in schema) {
      // Header values are case-insensitive tokens: status=ready names READY.
      spec[field] = schema.enum.find((e) => e.toLowerCase() === value!.toLowerCase()) ?? value;
    } else if (schema.type === 'string') spec[field] = value;
    else {
      const num = Number(value);
      if (value!.trim() === '' || !Number.isFinite(num)) malformed(`${where}: ${raw}=${value} is not a number.`);
      spec[field] = num;
    }
  }

  spec.tenant = ctx.tenant;
  if (ctx.batchId !== undefined && ctx.batchId !== null) spec.batchId = ctx.batchId;
  spec.count = 1;
  if (info.level === 'http') {
    if (!info.routes.includes(ctx.route)) malformed(`${where} only applies to ${info.routes.filter((r) => r !== '*').join(', ')}, not ${ctx.route}.`);
    spec.route = ctx.route;
  } else {
    if (!PREFER_DOMAIN_ROUTES.includes(ctx.route)) {
      malformed(`${where} changes how a batch is processed, so send it on ${PREFER_DOMAIN_ROUTES.join(', ')} for that batch, not on ${ctx.route}.`);
    }
    spec.route = DOMAIN_ROUTE;
  }
  try {
    return parseFaultSpec(spec, where);
  } catch (e) {
    if (e instanceof DomainError) malformed(e.detail);
    throw e;
  }
}
