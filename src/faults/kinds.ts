import { PROCESSING } from '../domain/lifecycle.js';
import { MAX_SEED, type Prng } from './prng.js';
import { DOMAIN_ROUTE, FAULT_ROUTES, type FaultRoute } from './vendor-routes.js';

/**
 * The fault kinds: ONE ENTRY PER KIND, and everything else about faults is read from here.
 *
 * An entry says the kind's level (`http`: the request hooks; `domain`: the worker or lifecycle
 * progression), where it acts (`acts`), which routes a definition may name, its parameters as
 * JSON Schema, the rules across its parameters (`check`), how it matches a batch's file or status
 * (`match`), what it resolves to when it fires (`resolve`, drawing from the fault's own seeded
 * stream) and its journal label. From these entries come:
 *
 * - validation and normalisation of a definition (./fault-spec.ts `parseFaultSpec`),
 * - the TypeScript types `FaultKind`, `FaultSpec` and `FiredParams` (below),
 * - the `Prefer` header's fault names and parameter names (./prefer.ts),
 * - the registry's matching, resolving and labels (./fault-registry.ts),
 * - which faults the request planner (./request-plan.ts) and the worker (./domain-faults.ts) ask
 *   for at each point,
 * - the published body schema of `POST /_simulator/faults`, one schema per kind (./fault-schema.ts).
 *
 * Adding a kind: add its entry here; then the compiler names every effect that must learn it
 * (the exhaustive switches in src/http/steering.ts and ./domain-faults.ts), and
 * test/unit/faults/kinds.test.ts walks every entry through validation, Prefer, the registry and
 * the schema. Regenerate the OpenAPI document (`npm run openapi:write`).
 */

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
  maxFileName: 255,
} as const;

/** How much of a body a truncate fault keeps when neither fraction nor bytes is given. */
export const TRUNCATE_FRACTION = 0.5;

// ---------------------------------------------------------------------------------------------
// Parameters: small JSON Schemas, published as written (less `mustBe`), checked by parseFaultSpec
// with messages that name the field, the rule and what was sent.

export interface IntParam {
  readonly type: 'integer';
  readonly minimum: number;
  readonly maximum: number;
  readonly description?: string;
  readonly default?: number;
}
export interface NumParam {
  readonly type: 'number';
  readonly minimum: number;
  readonly maximum?: number;
  readonly exclusiveMaximum?: number;
  readonly description?: string;
}
export interface StrParam {
  readonly type: 'string';
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly description?: string;
}
export interface EnumParam {
  readonly type: 'string';
  readonly enum: readonly string[];
  readonly description?: string;
  /** How a refusal words the rule, e.g. "name a processing status the batch can stall in". Not published. */
  readonly mustBe?: string;
}
export type ParamSchema = IntParam | NumParam | StrParam | EnumParam;
export type ParamSchemas = Readonly<Record<string, ParamSchema>>;

const int = <O extends { default?: number } = object>(minimum: number, maximum: number, description: string, opts?: O): IntParam & O =>
  ({ type: 'integer', minimum, maximum, description, ...opts }) as IntParam & O;
const str = (maxLength: number, description: string): StrParam => ({ type: 'string', minLength: 1, maxLength, description });

/** The value type a parameter schema admits. */
type ValueOf<S> = S extends { readonly enum: readonly (infer E)[] } ? E : S extends { readonly type: 'string' } ? string : number;
/** Parameters always present once normalised: the required ones and those with a default. */
type Present<P, R extends string> = { [K in keyof P]: K extends R ? K : P[K] extends { default: number } ? K : never }[keyof P];
/** The normalised parameters of a kind, as a type. */
export type ParamsOf<P extends ParamSchemas, R extends string = never> = { -readonly [K in Present<P, R>]: ValueOf<P[K]> } & {
  -readonly [K in Exclude<keyof P, Present<P, R>>]?: ValueOf<P[K]>;
};

/** What `check` gets to word a refusal in the same terms as the field checks. */
export interface CheckContext {
  /** `fault`, `faults[2]`, `fault=latency`: where the definition came from. */
  readonly where: string;
  /** The field as messages name it: `fault.minMs`. */
  field(name: string): string;
  /** A 400 invalid_request with this detail, to throw. */
  invalid(detail: string): Error;
}

/** What a batch-level domain query says about the moment (see FaultMatch in ./fault-registry.ts). */
export interface MatchFacts {
  /** The file being processed, when the query is per file. */
  readonly fileName?: string;
  /** The status the batch is entering. */
  readonly status?: string;
}

/** Where a kind is matched: by the HTTP hooks, by the worker, or by lifecycle progression. */
export type FaultPoint = 'request' | 'process' | 'progress';

/**
 * Where exactly a kind acts, which is when it is asked for:
 * - `delay`: before the request is handled (./request-plan.ts);
 * - `answer`: instead of the handler's answer (at most one such fault per request);
 * - `body`: on the response body as it is sent;
 * - `file`: on one file as the worker seals it;
 * - `package`: on the result package the worker wrote;
 * - `status`: as the batch enters a processing status;
 * - `closed`: once the batch is CLOSED.
 */
export type FaultStage = 'delay' | 'answer' | 'body' | 'file' | 'package' | 'status' | 'closed';

export interface KindEntry<P extends ParamSchemas = ParamSchemas, R extends string = string, Fired extends object = object, A extends FaultStage = FaultStage> {
  readonly level: 'http' | 'domain';
  readonly point: FaultPoint;
  readonly acts: A;
  /** The routes a definition of this kind may name. */
  readonly routes: readonly FaultRoute[];
  /** One line for docs and error messages. */
  readonly summary: string;
  /** Kind-specific fields, in the order they are checked and listed. */
  readonly params: P;
  readonly required: readonly R[];
  /** Rules across fields, after each field passed its own; returns the normalised parameters. */
  check?(params: ParamsOf<P, R>, ctx: CheckContext): ParamsOf<P, R>;
  /** Narrows a match beyond tenant, route and batch (a file, a status). */
  match?(params: ParamsOf<P, R>, facts: MatchFacts): boolean;
  /** What the fault asks for when it fires, every random choice drawn from its own stream. */
  resolve(params: ParamsOf<P, R>, rng: Prng): Fired;
  /** Its journal label without the `#id`: `latency(1200ms)`, `seal-fail(a.pdf)`. */
  label(fired: Fired): string;
}

const entry = <P extends ParamSchemas, R extends string, F extends object, A extends FaultStage>(e: KindEntry<P, R, F, A>): KindEntry<P, R, F, A> => e;

const ANY_ROUTE = FAULT_ROUTES;
const DOMAIN_ROUTES: readonly FaultRoute[] = ['*', DOMAIN_ROUTE];
const NO_PARAMS = {} as const;

const FILE_NAME = str(LIMITS.maxFileName, 'Only this file of the batch (absent: every file)');
const DETAIL = (description: string) => str(LIMITS.maxDetail, description);
const TRUNCATE_PARAMS = {
  fraction: {
    type: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    description: `How much of the body to keep (default ${TRUNCATE_FRACTION}); give this or bytes`,
  },
  bytes: int(0, Number.MAX_SAFE_INTEGER, 'How many bytes to keep; give this or fraction'),
} as const satisfies ParamSchemas;

/** A named file's fault applies to that file only when the query is per file. */
const byFile = (p: { fileName?: string }, m: MatchFacts): boolean => p.fileName === undefined || m.fileName === undefined || p.fileName === m.fileName;
const withFile = (p: { fileName?: string }) => (p.fileName !== undefined ? { fileName: p.fileName } : {});
const fileLabel = (kind: string, f: { fileName?: string }) => (f.fileName !== undefined ? `${kind}(${f.fileName})` : kind);

const truncate = <A extends FaultStage>(
  what: 'download' | 'package',
  where: Pick<KindEntry<ParamSchemas, string, object, A>, 'level' | 'point' | 'acts' | 'routes' | 'summary'>,
) =>
  entry({
    ...where,
    params: TRUNCATE_PARAMS,
    required: [],
    check(p, ctx) {
      if (p.fraction !== undefined && p.bytes !== undefined) {
        throw ctx.invalid(`${ctx.where}: give either fraction (0..1 of the body) or bytes (how many bytes to keep), not both.`);
      }
      return p.bytes !== undefined ? { bytes: p.bytes } : { fraction: p.fraction ?? TRUNCATE_FRACTION };
    },
    resolve: (p) => (p.bytes !== undefined ? { bytes: p.bytes } : { fraction: p.fraction ?? TRUNCATE_FRACTION }),
    label: (f) => `truncate-${what}(${f.bytes !== undefined ? `${f.bytes}B` : `${Math.round(f.fraction * 100)}%`})`,
  });

type SealIdentity = 'expired' | 'untrusted' | 'revoked';
const cert = (sealIdentity: SealIdentity, summary: string) =>
  entry({
    level: 'domain',
    point: 'process',
    acts: 'file',
    routes: DOMAIN_ROUTES,
    summary,
    params: { fileName: FILE_NAME },
    required: [],
    match: byFile,
    resolve: (p) => ({ sealIdentity, ...withFile(p) }),
    label: (f) => fileLabel(`${sealIdentity}-cert`, f),
  });

export const KINDS = {
  latency: entry({
    level: 'http',
    point: 'request',
    acts: 'delay',
    routes: ANY_ROUTE,
    summary: 'added latency: {ms} or {minMs, maxMs}',
    params: {
      ms: int(0, LIMITS.maxLatencyMs, 'A fixed latency; give this, or both minMs and maxMs'),
      minMs: int(0, LIMITS.maxLatencyMs, 'Lower end of a latency drawn per call (with maxMs)'),
      maxMs: int(0, LIMITS.maxLatencyMs, 'Upper end of a latency drawn per call (with minMs)'),
    },
    required: [],
    check(p, ctx) {
      if (p.ms !== undefined && (p.minMs !== undefined || p.maxMs !== undefined)) {
        throw ctx.invalid(`${ctx.where}: give either ms (a fixed latency) or minMs and maxMs (a range), not both.`);
      }
      if (p.ms !== undefined) return { ms: p.ms };
      if (p.minMs === undefined || p.maxMs === undefined) {
        throw ctx.invalid(`${ctx.where}: a latency fault needs ms (fixed), or both minMs and maxMs (a range drawn per call).`);
      }
      if (p.minMs > p.maxMs) throw ctx.invalid(`${ctx.field('minMs')} (${p.minMs}) must not be greater than ${ctx.field('maxMs')} (${p.maxMs}).`);
      return { minMs: p.minMs, maxMs: p.maxMs };
    },
    resolve: (p, rng) => ({ ms: p.ms ?? rng.int(p.minMs ?? 0, p.maxMs ?? 0) }),
    label: (f) => `latency(${f.ms}ms)`,
  }),
  status: entry({
    level: 'http',
    point: 'request',
    acts: 'answer',
    routes: ANY_ROUTE,
    summary: 'answer with {status: 400..599} and a problem body ({detail}, {retryAfter} seconds optional)',
    params: {
      status: int(400, 599, 'The HTTP status to answer with'),
      detail: DETAIL("The problem body's detail"),
      retryAfter: int(0, LIMITS.maxRetryAfter, 'Seconds, sent as Retry-After'),
    },
    required: ['status'],
    resolve: (p) => ({
      status: p.status,
      ...(p.detail !== undefined && { detail: p.detail }),
      ...(p.retryAfter !== undefined && { retryAfter: p.retryAfter }),
    }),
    label: (f) => `status(${f.status})`,
  }),
  reset: entry({
    level: 'http',
    point: 'request',
    acts: 'answer',
    routes: ANY_ROUTE,
    summary: 'reset the connection (TCP RST) instead of answering',
    params: NO_PARAMS,
    required: [],
    resolve: () => ({}),
    label: () => 'reset',
  }),
  empty: entry({
    level: 'http',
    point: 'request',
    acts: 'answer',
    routes: ANY_ROUTE,
    summary: 'close the connection without any response',
    params: NO_PARAMS,
    required: [],
    resolve: () => ({}),
    label: () => 'empty',
  }),
  dribble: entry({
    level: 'http',
    point: 'request',
    acts: 'body',
    routes: ANY_ROUTE,
    summary: 'send the response body slowly: {chunkBytes} every {intervalMs}',
    params: {
      chunkBytes: int(1, LIMITS.maxDribbleChunk, 'Bytes per chunk (default 16)', { default: 16 }),
      intervalMs: int(0, LIMITS.maxDribbleIntervalMs, 'Pause between chunks (default 100)', { default: 100 }),
    },
    required: [],
    resolve: (p) => ({ chunkBytes: p.chunkBytes, intervalMs: p.intervalMs }),
    label: (f) => `dribble(${f.chunkBytes}B/${f.intervalMs}ms)`,
  }),
  'truncate-download': truncate('download', {
    level: 'http',
    point: 'request',
    acts: 'body',
    routes: ['*', 'batchfile'],
    summary: 'cut the batchfile download off after {fraction} (0..1) of the body or {bytes}',
  }),
  'seal-fail': entry({
    level: 'domain',
    point: 'process',
    acts: 'file',
    routes: DOMAIN_ROUTES,
    summary: 'the named file (fileName) or every file of the batch fails to seal',
    params: { fileName: FILE_NAME, detail: DETAIL('Why sealing failed, as the batch shows it') },
    required: [],
    match: byFile,
    resolve: (p) => ({ ...withFile(p), ...(p.detail !== undefined && { detail: p.detail }) }),
    label: (f) => fileLabel('seal-fail', f),
  }),
  stall: entry({
    level: 'domain',
    point: 'progress',
    acts: 'status',
    routes: DOMAIN_ROUTES,
    summary: 'the batch stays {durationMs} longer in processing {status}',
    params: {
      status: {
        type: 'string',
        enum: PROCESSING,
        description: 'The processing status the batch stays in longer',
        mustBe: 'name a processing status the batch can stall in',
      },
      durationMs: int(1, LIMITS.maxStallMs, 'How much longer'),
    },
    required: ['status', 'durationMs'],
    // A stall is for the status it names; a query that names no status (a listing) sees them all.
    match: (p, m) => m.status === undefined || p.status === m.status,
    resolve: (p) => ({ status: p.status, durationMs: p.durationMs }),
    label: (f) => `stall(${f.status}+${f.durationMs}ms)`,
  }),
  'corrupt-package': entry({
    level: 'domain',
    point: 'process',
    acts: 'package',
    routes: DOMAIN_ROUTES,
    summary: 'the result ZIP is produced with {flips} bytes of file data flipped',
    params: { flips: int(1, LIMITS.maxFlips, 'Bytes of file data flipped (default 1)', { default: 1 }) },
    required: [],
    /** `picks`: 2 numbers in [0,1) per flip (which entry, where in it), for corruptZip(). */
    resolve: (p, rng) => {
      const picks: number[] = [];
      for (let i = 0; i < p.flips * 2; i++) picks.push(rng.next());
      return { flips: p.flips, picks };
    },
    label: (f) => `corrupt-package(${f.flips})`,
  }),
  'truncate-package': truncate('package', {
    level: 'domain',
    point: 'process',
    acts: 'package',
    routes: DOMAIN_ROUTES,
    summary: 'the result ZIP is produced truncated to {fraction} or {bytes}',
  }),
  expire: entry({
    level: 'domain',
    point: 'progress',
    acts: 'closed',
    routes: DOMAIN_ROUTES,
    summary: 'the batch is removed from the cache {afterMs} after CLOSED',
    params: { afterMs: int(0, LIMITS.maxExpireMs, 'How long after CLOSED the batch leaves the cache') },
    required: ['afterMs'],
    resolve: (p) => ({ afterMs: p.afterMs }),
    label: (f) => `expire(${f.afterMs}ms)`,
  }),
  'expired-cert': cert('expired', 'the seal is made with an expired certificate (fileName, or every file)'),
  'untrusted-cert': cert('untrusted', 'the seal is made with a certificate from an untrusted CA (fileName, or every file)'),
  'revoked-cert': cert(
    'revoked',
    'the seal is made with a certificate the test CA has revoked: its CRL lists it and OCSP answers revoked (fileName, or every file)',
  ),
};

export type FaultKind = keyof typeof KINDS;
/** Every kind, in the table's order (the order lists and messages show them in). */
export const FAULT_KINDS = Object.keys(KINDS) as FaultKind[];

type Kinds = typeof KINDS;
type ParamsOfKind<K extends FaultKind> = Kinds[K] extends KindEntry<infer P, infer R, object, FaultStage> ? ParamsOf<P, R> : never;
/** The kinds that act at a stage, as a type: `KindActing<'answer'>` is `'status' | 'reset' | 'empty'`. */
export type KindActing<S extends FaultStage> = { [K in FaultKind]: Kinds[K]['acts'] extends S ? K : never }[FaultKind];
type FiredOfKind<K extends FaultKind> = ReturnType<Kinds[K]['resolve']>;

// ---------------------------------------------------------------------------------------------
// Fields every fault has, whatever its kind.

/** Tenant ids as src/http/auth.ts makes them. */
export const TENANT_RE = /^(t-[0-9a-f]{12}|public)$/;
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The common fields besides `kind` and `route`, in the order they are checked and published. */
export const COMMON_PARAMS = {
  id: { type: 'string', pattern: ID_RE.source, description: 'Names the fault (generated as f1, f2, … when absent)' },
  tenant: {
    type: 'string',
    pattern: TENANT_RE.source,
    description: "Only this tenant (t-… as the control API lists it, or public); absent: the API-KEY's tenant when one is sent, else every tenant",
  },
  batchId: int(1, Number.MAX_SAFE_INTEGER, 'Only this batch'),
  count: int(1, LIMITS.maxCount, 'Fire on the next `count` matching calls (default 1 when `probability` is absent)'),
  probability: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    description: 'Fire on each matching call with this chance; at most `count` times when both are given',
  },
  seed: int(0, MAX_SEED, "Seed of the fault's own random stream"),
} as const satisfies ParamSchemas;

/** Fields every fault may have (`route` defaults to `*`). */
export type FaultCommon = ParamsOf<typeof COMMON_PARAMS> & { route: FaultRoute };

/** A validated, normalised fault definition of one kind (defaults filled in: `route`, `count`, kind params). */
export type FaultSpecOf<K extends FaultKind> = FaultCommon & { kind: K } & ParamsOfKind<K>;
/** A validated, normalised fault definition. */
export type FaultSpec = { [K in FaultKind]: FaultSpecOf<K> }[FaultKind];

/** What a fired fault asks the caller to do, with every random choice already drawn. */
export type FiredParamsOf<K extends FaultKind> = { kind: K } & FiredOfKind<K>;
export type FiredParams = { [K in FaultKind]: FiredParamsOf<K> }[FaultKind];

type LooseParams = Readonly<Record<string, unknown>>;
/** An entry seen by code that treats every kind alike (validation, the registry, Prefer, the schema). */
export interface AnyKindEntry extends Omit<KindEntry, 'check' | 'match' | 'resolve' | 'label'> {
  check?(params: LooseParams, ctx: CheckContext): LooseParams;
  match?(params: LooseParams, facts: MatchFacts): boolean;
  resolve(params: LooseParams, rng: Prng): object;
  label(fired: object): string;
}
export const kindEntry = (kind: FaultKind): AnyKindEntry => KINDS[kind] as unknown as AnyKindEntry;

/** The kinds that act at one stage, in table order. */
export const kindsActing = <S extends FaultStage>(stage: S): KindActing<S>[] => FAULT_KINDS.filter((k): k is KindActing<S> => KINDS[k].acts === stage);

export const isFaultKind = (s: unknown): s is FaultKind => typeof s === 'string' && Object.hasOwn(KINDS, s);
export const isHttpKind = (k: FaultKind): boolean => KINDS[k].level === 'http';

/** `latency(1200ms)`, `status(503)`, `seal-fail(a.pdf)`, `reset`, ... (without the `#id`). */
export const labelOf = (p: FiredParams): string => kindEntry(p.kind).label(p);
