import { COMMON_PARAMS, FAULT_KINDS, type FaultKind, kindEntry, type ParamSchema } from './kinds.js';
import { DOMAIN_ROUTE } from './vendor-routes.js';

/**
 * The fault definition as JSON Schema, one schema per kind (a `oneOf` discriminated by `kind`), for
 * the body of POST /_simulator/faults and the OpenAPI document. Written from the kind table
 * (./kinds.ts): each kind's parameter schemas are published as the table states them, so the
 * bounds a generated client sees are the ones parseFaultSpec checks. Rules across fields that JSON
 * Schema would only say awkwardly (ms or minMs+maxMs; fraction or bytes) are in the descriptions.
 */
type Json = Record<string, unknown>;

/** A parameter schema as published: the table's, less what only the validator's messages use. */
const published = ({ mustBe: _mustBe, ...schema }: ParamSchema & { mustBe?: string }): Json => ({ ...schema });
const publishAll = (params: Readonly<Record<string, ParamSchema>>): Record<string, Json> =>
  Object.fromEntries(Object.entries(params).map(([name, schema]) => [name, published(schema)]));

/** Schema name of one kind's definition: `status` → FaultStatus, `seal-fail` → FaultSealFail. */
export const faultSchemaName = (kind: FaultKind): string => `Fault${kind.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase())}`;

/** One kind's definition as a request body accepts it. */
export function faultKindSchema(kind: FaultKind): Json {
  const info = kindEntry(kind);
  return {
    type: 'object',
    title: faultSchemaName(kind),
    description: `${info.level === 'http' ? 'HTTP' : 'Domain'} fault: ${info.summary}.`,
    required: ['kind', ...info.required],
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
      ...publishAll(COMMON_PARAMS),
      ...publishAll(info.params),
    },
  };
}

/** Every kind, keyed by schema name (for components.schemas or inline use). */
export function faultKindSchemas(): Record<string, Json> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [faultSchemaName(k), faultKindSchema(k)]));
}

/**
 * The union as references to {@link faultKindSchemas}: one definition of any kind. `ref` spells a
 * reference the way its reader resolves it (a route schema names a shared schema as `FaultStatus#`,
 * which the OpenAPI generator turns into the component reference the discriminator maps to).
 */
export function faultDefinitionRef(ref: (name: string) => string = (name) => `#/components/schemas/${name}`): Json {
  const component = (k: FaultKind) => `#/components/schemas/${faultSchemaName(k)}`;
  return {
    description: 'One fault definition: `kind` picks the schema',
    oneOf: FAULT_KINDS.map((k) => ({ $ref: ref(faultSchemaName(k)) })),
    discriminator: { propertyName: 'kind', mapping: Object.fromEntries(FAULT_KINDS.map((k) => [k, component(k)])) },
  };
}

/** The body of POST /_simulator/faults: one definition, or a list of them. */
export function faultBodySchema(): Json {
  const one = faultDefinitionRef((name) => `${name}#`);
  return {
    description: 'One fault definition, or a list of them',
    oneOf: [one, { type: 'array', minItems: 1, items: one }],
    examples: [{ route: 'BatchStatus', kind: 'status', status: 503, retryAfter: 2, count: 1 }],
  };
}
