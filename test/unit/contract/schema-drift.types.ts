/**
 * Type-level proof that the vendor bodies' schemas are the types: each `@ts-expect-error` below
 * marks a drift the compiler must refuse. If a schema stopped typing its presenter, route or
 * example, the directive would be unused and `tsc` would fail on it (schema-drift.test.ts runs
 * tsc over this file; `npm run typecheck` checks it too). Never executed.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { type AnyVendorBodies, type VendorBodies, vendorBodySchemas } from '../../../src/contract/vendor-bodies.js';
import { Type } from '../../../src/domain/json-schema.js';
import { CLOCK_VIEW_SCHEMA } from '../../../src/http/control-views.js';
import { checkedAs } from '../../../src/http/schema-compilers.js';
import { problem, unexpectedProblem } from '../../../src/http/schemas.js';
import type { VendorPresenter } from '../../../src/http/vendor-json.js';

type Created = AnyVendorBodies['batchCreated'];

// The presenter is typed by the schema: every field, no other field, each of its type.
export const fine: VendorPresenter['created'] = (b, p) => ({
  id: String(b.id),
  providerSettingsId: p.providerSettingsId,
  creationDate: '2023-01-01 12:00:00',
  status: '0',
});
// @ts-expect-error a body without `status` (the CreateBatch schema requires it)
export const missingField: VendorPresenter['created'] = (b, p) => ({
  id: String(b.id),
  providerSettingsId: p.providerSettingsId,
  creationDate: '2023-01-01 12:00:00',
});
// The presenter annotates each body's type, so a field the schema does not have is refused too.
export const extraField: VendorPresenter['created'] = (b, p): Created => ({
  id: String(b.id),
  providerSettingsId: p.providerSettingsId,
  creationDate: '2023-01-01 12:00:00',
  status: '0',
  // @ts-expect-error a field the schema does not have (additionalProperties: false would drop it)
  batchName: 'x',
});
export const wrongType: VendorPresenter['status'] = (b) => ({
  id: b.id,
  status: b.status,
  // @ts-expect-error creationDate is a string in the schema, not epoch milliseconds
  creationDate: b.createdAt,
  documents: [],
});
export const wrongBoolean: VendorPresenter['status'] = (b) => ({
  id: b.id,
  status: b.status,
  creationDate: '2023-01-01 10:00:00',
  // @ts-expect-error the vendor writes booleans as "true"/"false", never "yes"
  documents: [{ id: '1', signed: 'yes', fileName: 'a.pdf', signingResult_Success: true }],
});

// Each style's own type is exact: vendor ids are strings, typed ids numbers.
// @ts-expect-error vendor style writes CreateBatch's id as a string
export const vendorId: VendorBodies<'vendor'>['batchCreated'] = { id: 2123, providerSettingsId: '1', creationDate: '', status: '0' };
// @ts-expect-error typed style writes it as a number
export const typedId: VendorBodies<'typed'>['batchCreated'] = { id: '2123', providerSettingsId: 1, creationDate: '', status: 0 };
export const anyStyle: Created = { id: 2123, providerSettingsId: '1', creationDate: '', status: 0 };

// A route's reply is typed by its response schema.
export function route(app: FastifyInstance): void {
  const schemas = vendorBodySchemas('vendor', 'A');
  app.withTypeProvider<TypeBoxTypeProvider>().get('/x/:batchId', { schema: { response: { 200: schemas.batchStatus } } }, async () =>
    // @ts-expect-error BatchStatus's body needs `documents`
    ({ id: 1, status: 'NEW' as const, creationDate: '2023-01-01 10:00:00' }),
  );
}

// Problem responses beside it (every real route has them) leave the reply held to the success
// schema: a problem's static type is never, since handlers throw problems and never send them.
export function routeWithProblems(app: FastifyInstance): void {
  app
    .withTypeProvider<TypeBoxTypeProvider>()
    .get(
      '/_simulator/clock',
      { schema: { response: { 200: CLOCK_VIEW_SCHEMA, 400: problem('Bad', 'invalid_request'), 500: unexpectedProblem() } } },
      async () =>
        // @ts-expect-error a clock as the control API shows it needs `offsetMs`
        ({ tenant: 't-1', now: '2026-01-01T00:00:00.000Z', speed: 1 }),
    );
}

// A field checked by its handler (checkedAs) is typed as Fastify checked it: the outline.
export function checkedRoute(app: FastifyInstance): void {
  const body = checkedAs({ type: 'object', required: ['by'], properties: { by: { type: 'string', pattern: '^\\d+s$' } } }, Type.Object({ by: Type.String() }));
  app.withTypeProvider<TypeBoxTypeProvider>().post('/advance', { schema: { body } }, async (request) => {
    const by: string = request.body.by;
    // @ts-expect-error the outline has no `at`
    return { by, at: request.body.at };
  });
}
