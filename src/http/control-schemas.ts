import { allOptional, describedObject, documentOrder, orNull } from '../contract/json-schema.js';
import { Type } from '../domain/json-schema.js';
import { STATUSES, type Status } from '../domain/status.js';
import { DURATION_SCHEMA, MAX_SPEED } from '../domain/tenant-clocks.js';
import { faultBodySchema } from '../faults/fault-schema.js';
import { FAULT_KINDS, FAULT_ROUTES, type FaultKind, type FaultRoute } from '../faults/fault-spec.js';
import { journalFilterProperties } from '../journal/journal.js';
import { EXPECTED_SCHEMA } from '../journal/verify-schema.js';
import { scopedQuery, scopeQueryProperties } from './control-access.js';
import { BATCH_VIEW_SCHEMA } from './control-views.js';
import { checkedAs } from './schema-compilers.js';
import { ANY_OBJECT } from './schemas.js';

/**
 * The request and answer schemas of the control API (./control-routes.ts, ./steering-routes.ts,
 * ./board-routes.ts): one source for validation, serialisation, the OpenAPI document and, through
 * the type provider, the handlers' types. The batch and clock views are in ./control-views.ts with
 * the functions that build them; what each operation does is told in
 * src/contract/simulator-operations.ts.
 */

export const BATCH_PARAMS = documentOrder(Type.Object({ batchId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, examples: [1] }) }));
export const LIST_QUERY = scopedQuery({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 200 })) });
export const BATCH_LIST = describedObject('The batches, newest first', { batches: Type.Array(BATCH_VIEW_SCHEMA) });
/** `to`: a status a batch moves through after its upload (not NEW, UPLOADED or DELETED). */
export const ADVANCE_BODY = documentOrder(
  orNull(
    Type.Object(
      { to: Type.Optional(Type.Unsafe<Status>({ type: 'string', enum: STATUSES.filter((s) => !['NEW', 'UPLOADED', 'DELETED'].includes(s)) })) },
      { additionalProperties: false },
    ),
  ),
  ['type', 'properties', 'additionalProperties'],
);
export const RESET_BODY = documentOrder(orNull(Type.Object({ tenant: Type.Optional(Type.String()) }, { additionalProperties: false })), [
  'type',
  'properties',
  'additionalProperties',
]);
export const RESET_ANSWER = describedObject('Who was reset and how many batches were forgotten', {
  tenant: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
  batches: Type.Integer(),
});
export const SET_CLOCK_BODY = documentOrder(
  Type.Object(
    { at: Type.Optional(Type.String({ format: 'date-time' })), speed: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_SPEED })) },
    { additionalProperties: false },
  ),
  ['type', 'properties', 'additionalProperties'],
);
/**
 * Published in full; Fastify checks the outline and parseDuration reads `by`, saying what a
 * duration looks like (src/http/schema-compilers.ts).
 */
export const ADVANCE_CLOCK_BODY = checkedAs(
  { type: 'object', required: ['by'], properties: { by: DURATION_SCHEMA }, additionalProperties: false, examples: [{ by: '5m' }] },
  documentOrder(Type.Object({ by: Type.Unsafe<string | number>({ type: ['string', 'number'] }) }, { additionalProperties: false }), [
    'type',
    'required',
    'properties',
    'additionalProperties',
  ]),
);

/** A fault as the registry stores and lists it (its kind's own fields ride along, unpublished). */
const FAULT = (() => {
  const schema = Type.Object(
    {
      id: Type.String(),
      tenant: Type.Optional(Type.String()),
      route: Type.Unsafe<FaultRoute>({ type: 'string', enum: [...FAULT_ROUTES] }),
      kind: Type.Unsafe<FaultKind>({ type: 'string', enum: [...FAULT_KINDS] }),
      batchId: Type.Optional(Type.Integer()),
      fileName: Type.Optional(Type.String()),
      count: Type.Optional(Type.Integer()),
      probability: Type.Optional(Type.Number()),
      seed: Type.Integer(),
      remaining: Type.Unsafe<number | null>({ type: ['integer', 'null'] }),
      fired: Type.Integer(),
      matched: Type.Integer(),
    },
    { additionalProperties: true },
  );
  // seed, remaining, fired and matched are always sent, but the document requires only these
  // (Object.assign, not a spread: the type stays TObject's, which an exported schema must name).
  return documentOrder(Object.assign({}, schema, { required: ['id', 'kind', 'route'] }), ['type', 'additionalProperties', 'required', 'properties']);
})();
export const FAULT_LIST = describedObject('Active faults and the registry seed', { seed: Type.Integer(), faults: Type.Array(FAULT) });
export const FAULTS_ADDED = describedObject('The faults as stored (with id, seed and remaining count)', { faults: Type.Array(FAULT) });
/**
 * Published as the per-kind union; Fastify checks only that it is an object or a list, and
 * parseFaultSpec (in faults.add) checks each definition against the same kind table, naming the
 * field at fault. Not ajv over the union: its defaults and coercion would rewrite a definition
 * while trying each kind, and its refusal would name a branch, not the field.
 */
export const FAULTS_BODY = checkedAs(
  faultBodySchema(),
  Type.Unsafe<Record<string, unknown> | Record<string, unknown>[]>({ oneOf: [ANY_OBJECT, { type: 'array', items: ANY_OBJECT }] }),
);
export const REMOVED = describedObject('How many were removed', { removed: Type.Integer() });
export const FAULT_ID = documentOrder(Type.Object({ id: Type.String({ examples: ['f1'] }) }));

/** The journal filters; the tenant filter is the control scope's `tenant`. */
export const JOURNAL_QUERY = (() => {
  const { tenant: _tenant, ...filters } = journalFilterProperties();
  // Read by parseJournalQuery, which says which filter is unknown or malformed.
  const read = Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, Type.Unsafe<unknown>(v)]));
  return scopedQuery(allOptional(read), { additionalProperties: true });
})();
/** An entry's members are src/journal/journal.ts's JournalEntry; the document names the ones a test sorts and filters by. */
const JOURNAL_ENTRY = documentOrder(
  Type.Object(
    { seq: Type.Optional(Type.Integer()), at: Type.Optional(Type.String()), route: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'] })) },
    { additionalProperties: true },
  ),
);
export const JOURNAL_PAGE = describedObject('Matching entries, oldest first, and the journal size', { entries: Type.Array(JOURNAL_ENTRY), stats: ANY_OBJECT });

/**
 * Documented in full (every step field, from EXPECTED_SCHEMA); Fastify checks only the outline,
 * and verifySequence checks each step with messages that name the step and the field at fault
 * (`expected[0] has an unknown field "foo"; steps take route, …`), which ajv over the full schema
 * would answer first with a JSON Schema path instead.
 */
export const VERIFY_BODY = checkedAs(
  {
    type: 'object',
    required: ['expected'],
    properties: { expected: EXPECTED_SCHEMA, tenant: { type: 'string', description: 'A tenant id (t-…), when no API-KEY is sent' } },
    examples: [{ expected: [{ route: 'CreateBatch', status: 201 }] }],
  },
  documentOrder(Type.Object({ expected: Type.Unsafe<unknown[]>({ type: 'array' }), tenant: Type.Optional(Type.String()) })),
);
export const VERIFIED = describedObject('Whether the sequence was found, and where it stopped matching if not', {
  matched: Type.Boolean(),
  matchedSeqs: Type.Optional(Type.Array(Type.Integer())),
  failedAt: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
});

/** The board page takes the admin token in its URL once (then moves it to a cookie). */
export const BOARD_QUERY = documentOrder(Type.Object({ token: Type.Optional(scopeQueryProperties.token) }));
export const SNAPSHOT = describedObject('A snapshot of tenants, batches, clocks, faults and recent requests', {
  at: Type.String({ format: 'date-time' }),
  timing: Type.String(),
  seed: Type.Optional(Type.Integer()),
  statusTable: Type.Optional(Type.String({ description: 'The status table in force: batches carry `apiStatus`, the name BatchStatus reports under it' })),
  tenants: documentOrder(
    Type.Array(ANY_OBJECT, {
      description:
        "Each tenant with `label` (its API key's tail, e.g. `key …b7c1`), its clock and its batches; a batch's files carry `state` (signed, failed, pending or succeeded)",
    }),
    ['type', 'description', 'items'],
  ),
  faults: Type.Array(ANY_OBJECT),
  journal: Type.Array(ANY_OBJECT),
  journalStats: Type.Optional(ANY_OBJECT),
});
