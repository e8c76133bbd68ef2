import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { simulatorOperation } from '../contract/simulator-operations.js';
import type { Batch } from '../domain/batch.js';
import type { BatchControl } from '../domain/batch-control.js';
import { DomainError } from '../domain/errors.js';
import { parseDuration, type TenantClocks } from '../domain/tenant-clocks.js';
import { CONTROL_UNAUTHORIZED, controlGuard, controlScope, SCOPE_QUERY } from './control-access.js';
import { ADVANCE_BODY, ADVANCE_CLOCK_BODY, BATCH_LIST, BATCH_PARAMS, LIST_QUERY, RESET_ANSWER, RESET_BODY, SET_CLOCK_BODY } from './control-schemas.js';
import { BATCH_VIEW_SCHEMA, type BatchView, batchView, CLOCK_VIEW_SCHEMA, type ClockView, clockView, transitionsView } from './control-views.js';
import { noContent, problem, TAGS, simulatorGroup } from './schemas.js';

/**
 * The control API under /_simulator/: what a test needs beyond the vendor's API. Who may call it
 * and on which tenants it acts is decided in one place, src/http/control-access.ts: the API-KEY
 * header names one tenant; every tenant needs the admin token or ?scope=all. What each operation
 * does is told in src/contract/simulator-operations.ts.
 */

export interface ControlRoutesOptions {
  /** Who may call, and which keys name a tenant (src/http/control-access.ts). */
  access: Pick<Config, 'adminToken' | 'apiKeys'>;
  control: BatchControl;
  clock: TenantClocks;
  /** Forgets one tenant's state (batches, clock, faults, journal), or everyone's; resolves to the batches removed. */
  reset(tenant?: string): Promise<number>;
}

export async function controlRoutes(plugin: FastifyInstance, opts: ControlRoutesOptions): Promise<void> {
  // Params, queries, bodies and replies are typed from the route schemas (TypeBox).
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { access, control, clock } = opts;
  /** A batch as the control API shows it (control-views.ts), with its times as the domain reads them. */
  const view = (b: Batch): BatchView => batchView(b, control.timesOf(b));

  app.addHook('onRequest', controlGuard(access));
  /** The tenant a call acts on, or undefined for every tenant (400/401 when it may not say so). */
  const scopeOf = (request: FastifyRequest, named?: string): string | undefined => controlScope(request, access, named).tenant;
  /** A call that acts on exactly one tenant (a clock): an all-tenant call must name it. */
  const requireTenant = (request: FastifyRequest): string => {
    const tenant = scopeOf(request);
    if (!tenant)
      throw new DomainError('invalid_request', "Say whose clock: send the tenant's API-KEY header, or ?tenant=<tenant id> with scope=all or the admin token.");
    return tenant;
  };

  const errors = {
    400: problem("Invalid parameter, or the call names no scope: send the tenant's API-KEY header, or ?scope=all", 'invalid_request'),
    401: CONTROL_UNAUTHORIZED,
  };
  const noBatch = problem('No such batch (for this tenant)', 'batch_not_found');

  app.get(
    '/batches',
    { schema: { ...simulatorGroup(TAGS.control), ...simulatorOperation('simListBatches'), querystring: LIST_QUERY, response: { 200: BATCH_LIST, ...errors } } },
    async (request) => ({
      batches: control.list({ tenant: scopeOf(request), limit: request.query.limit }).map(view),
    }),
  );

  app.get(
    '/batches/:batchId',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simGetBatch'),
        params: BATCH_PARAMS,
        querystring: SCOPE_QUERY,
        response: { 200: BATCH_VIEW_SCHEMA, ...errors, 404: noBatch },
      },
    },
    async (request) => {
      const batch = control.get(request.params.batchId, scopeOf(request));
      return { ...view(batch), transitions: transitionsView(control.transitions(batch.id)) };
    },
  );

  app.delete(
    '/batches/:batchId',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simForgetBatch'),
        params: BATCH_PARAMS,
        querystring: SCOPE_QUERY,
        response: { 204: noContent('Forgotten'), ...errors, 404: noBatch },
      },
    },
    async (request, reply) => {
      await control.forget(request.params.batchId, scopeOf(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/batches/:batchId/advance',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simAdvanceBatch'),
        params: BATCH_PARAMS,
        querystring: SCOPE_QUERY,
        body: ADVANCE_BODY,
        response: {
          200: BATCH_VIEW_SCHEMA,
          ...errors,
          404: problem('No such batch', 'batch_not_found'),
          409: problem('The batch cannot move forward (no package yet, already CLOSED or DELETED)', 'wrong_state'),
        },
      },
    },
    async (request) => view(await control.advance(request.params.batchId, { tenant: scopeOf(request), to: request.body?.to })),
  );

  app.post(
    '/reset',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simReset'),
        querystring: SCOPE_QUERY,
        body: RESET_BODY,
        response: { 200: RESET_ANSWER, ...errors },
      },
    },
    async (request) => {
      const tenant = scopeOf(request, request.body?.tenant);
      const batches = await opts.reset(tenant);
      return { tenant: tenant ?? null, batches };
    },
  );

  const readClock = (tenant: string): ClockView => clockView(tenant, clock.read(tenant));
  const clockRoute = () => ({ ...simulatorGroup(TAGS.control), querystring: SCOPE_QUERY });

  app.get('/clock', { schema: { ...clockRoute(), ...simulatorOperation('simGetClock'), response: { 200: CLOCK_VIEW_SCHEMA, ...errors } } }, async (request) =>
    readClock(requireTenant(request)),
  );

  app.put(
    '/clock',
    { schema: { ...clockRoute(), ...simulatorOperation('simSetClock'), body: SET_CLOCK_BODY, response: { 200: CLOCK_VIEW_SCHEMA, ...errors } } },
    async (request) => {
      const tenant = requireTenant(request);
      if (request.body.at !== undefined) clock.set(tenant, new Date(request.body.at));
      if (request.body.speed !== undefined) clock.setSpeed(tenant, request.body.speed);
      control.tickTenant(tenant);
      return readClock(tenant);
    },
  );

  app.post(
    '/clock/advance',
    { schema: { ...clockRoute(), ...simulatorOperation('simAdvanceClock'), body: ADVANCE_CLOCK_BODY, response: { 200: CLOCK_VIEW_SCHEMA, ...errors } } },
    async (request) => {
      const tenant = requireTenant(request);
      clock.advance(tenant, parseDuration(request.body.by));
      control.tickTenant(tenant);
      return readClock(tenant);
    },
  );
}
