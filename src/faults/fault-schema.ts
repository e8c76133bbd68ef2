import { PROCESSING } from '../domain/lifecycle.js';
import { DEFAULTS, DOMAIN_ROUTE, FAULT_KINDS, type FaultKind, KIND_INFO, LIMITS, TENANT_RE } from './fault-spec.js';
import { MAX_SEED } from './prng.js';

/**
 * The fault definition as JSON Schema, one schema per kind (a `oneOf` discriminated by `kind`), for
 * the OpenAPI document. Written from the same tables parseFaultSpec checks against (KIND_INFO,
 * LIMITS, DEFAULTS), so the bounds a generated client sees are the server's; parseFaultSpec stays
 * the validator, for its messages (test/unit/faults/fault-schema.test.ts holds the two together).
 * Rules across fields that JSON Schema would only say awkwardly (ms or minMs+maxMs; fraction or
 * bytes) are in the descriptions.
 */
type Json = Record<string, unknown>;

const int = (minimum: number, maximum: number, description: string): Json => ({ type: 'integer', minimum, maximum, description });

const COMMON: Record<string, Json> = {
  id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Names the fault (generated as f1, f2, … when absent)' },
  tenant: {
    type: 'string',
    pattern: TENANT_RE.source,
    description: 'Only this tenant (t-… as the control API lists it, or public); absent: the API-KEY\'s tenant when one is sent, else every tenant',
  },
  batchId: int(1, Number.MAX_SAFE_INTEGER, 'Only this batch'),
  count: int(1, LIMITS.maxCount, 'Fire on the next `count` matching calls (default 1 when `probability` is absent)'),
  probability: { type: 'number', minimum: 0, maximum: 1, description: 'Fire on each matching call with this chance; at most `count` times when both are given' },
  seed: int(0, MAX_SEED, 'Seed of the fault\'s own random stream'),
};

const FILE_NAME = { type: 'string', minLength: 1, maxLength: 255, description: 'Only this file of the batch (absent: every file)' };
const DETAIL = { type: 'string', minLength: 1, maxLength: LIMITS.maxDetail };
const FRACTION = { type: 'number', minimum: 0, exclusiveMaximum: 1, description: `How much of the body to keep (default ${DEFAULTS.fraction}); give this or bytes` };
const BYTES = int(0, Number.MAX_SAFE_INTEGER, 'How many bytes to keep; give this or fraction');

const KIND_PARAMS: Record<FaultKind, { properties: Record<string, Json>; required?: string[] }> = {
  latency: {
    properties: {
      ms: int(0, LIMITS.maxLatencyMs, 'A fixed latency; give this, or both minMs and maxMs'),
      minMs: int(0, LIMITS.maxLatencyMs, 'Lower end of a latency drawn per call (with maxMs)'),
      maxMs: int(0, LIMITS.maxLatencyMs, 'Upper end of a latency drawn per call (with minMs)'),
    },
  },
  status: {
    properties: {
      status: int(400, 599, 'The HTTP status to answer with'),
      detail: { ...DETAIL, description: 'The problem body\'s detail' },
      retryAfter: int(0, LIMITS.maxRetryAfter, 'Seconds, sent as Retry-After'),
    },
    required: ['status'],
  },
  reset: { properties: {} },
  empty: { properties: {} },
  dribble: {
    properties: {
      chunkBytes: int(1, LIMITS.maxDribbleChunk, `Bytes per chunk (default ${DEFAULTS.chunkBytes})`),
      intervalMs: int(0, LIMITS.maxDribbleIntervalMs, `Pause between chunks (default ${DEFAULTS.intervalMs})`),
    },
  },
  'truncate-download': { properties: { fraction: FRACTION, bytes: BYTES } },
  'seal-fail': { properties: { fileName: FILE_NAME, detail: { ...DETAIL, description: 'Why sealing failed, as the batch shows it' } } },
  stall: {
    properties: {
      status: { type: 'string', enum: [...PROCESSING], description: 'The processing status the batch stays in longer' },
      durationMs: int(1, LIMITS.maxStallMs, 'How much longer'),
    },
    required: ['status', 'durationMs'],
  },
  'corrupt-package': { properties: { flips: int(1, LIMITS.maxFlips, `Bytes of file data flipped (default ${DEFAULTS.flips})`) } },
  'truncate-package': { properties: { fraction: FRACTION, bytes: BYTES } },
  expire: { properties: { afterMs: int(0, LIMITS.maxExpireMs, 'How long after CLOSED the batch leaves the cache') }, required: ['afterMs'] },
  'expired-cert': { properties: { fileName: FILE_NAME } },
  'untrusted-cert': { properties: { fileName: FILE_NAME } },
  'revoked-cert': { properties: { fileName: FILE_NAME } },
};

/** Schema name of one kind's definition: `status` → FaultStatus, `seal-fail` → FaultSealFail. */
export const faultSchemaName = (kind: FaultKind): string =>
  `Fault${kind.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase())}`;

/** One kind's definition as a request body accepts it. */
export function faultKindSchema(kind: FaultKind): Json {
  const info = KIND_INFO[kind];
  const { properties, required = [] } = KIND_PARAMS[kind];
  return {
    type: 'object',
    title: faultSchemaName(kind),
    description: `${info.level === 'http' ? 'HTTP' : 'Domain'} fault: ${info.summary}.`,
    required: ['kind', ...required],
    additionalProperties: false,
    properties: {
      kind: { type: 'string', const: kind },
      route: {
        type: 'string',
        enum: [...info.routes],
        default: '*',
        description:
          info.level === 'domain'
            ? `A domain fault fires as the batch is processed, so it is matched on the call that started that: "${DOMAIN_ROUTE}" or "*"`
            : 'The vendor route to match, or * for every one',
      },
      ...COMMON,
      ...properties,
    },
  };
}

/** Every kind, keyed by schema name (for components.schemas or inline use). */
export function faultKindSchemas(): Record<string, Json> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [faultSchemaName(k), faultKindSchema(k)]));
}

/** The union as references to {@link faultKindSchemas} in components.schemas: one definition of any kind. */
export function faultDefinitionRef(): Json {
  const ref = (k: FaultKind) => `#/components/schemas/${faultSchemaName(k)}`;
  return {
    description: 'One fault definition: `kind` picks the schema',
    oneOf: FAULT_KINDS.map((k) => ({ $ref: ref(k) })),
    discriminator: { propertyName: 'kind', mapping: Object.fromEntries(FAULT_KINDS.map((k) => [k, ref(k)])) },
  };
}
