import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Batch } from '../domain/batch.js';
import type { BatchControl } from '../domain/batch-control.js';
import { DomainError } from '../domain/errors.js';
import { STATUSES, type Status } from '../domain/status.js';
import { DURATION_SCHEMA, MAX_SPEED, parseDuration, type TenantClocks } from '../domain/tenant-clocks.js';
import { BATCH_VIEW_SCHEMA, type BatchView, batchView, CLOCK_VIEW_SCHEMA, type ClockView, clockView, transitionsView } from './control-views.js';
import { CONTROL_RULE_TEXT, controlGuard, controlScope, scopeQueryProperties } from './control-access.js';
import { checkedAs } from './schema-compilers.js';
import { NO_SECURITY, problem, TAGS } from './schemas.js';

/**
 * The control API under /_simulator/: what a test needs beyond the vendor's API. Who may call it
 * and on which tenants it acts is decided in one place, src/http/control-access.ts: the API-KEY
 * header names one tenant; every tenant needs the admin token or ?scope=all.
 */

export interface ControlRoutesOptions {
  /** Who may call, and which keys name a tenant (src/http/control-access.ts). */
  access: Pick<Config, 'adminToken' | 'apiKeys'>;
  control: BatchControl;
  clock: TenantClocks;
  /** Forgets one tenant's state (batches, clock, faults, journal), or everyone's; resolves to the batches removed. */
  reset(tenant?: string): Promise<number>;
}

export async function controlRoutes(app: FastifyInstance, opts: ControlRoutesOptions): Promise<void> {
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

  const batchParams = {
    type: 'object',
    required: ['batchId'],
    properties: { batchId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, examples: [1] } },
  };
  const scopeQuery = {
    type: 'object',
    properties: { ...scopeQueryProperties, limit: { type: 'integer', minimum: 1, maximum: 10000, default: 200 } },
  };
  const plainScopeQuery = { type: 'object', properties: scopeQueryProperties };
  const errors = {
    400: problem("Invalid parameter, or the call names no scope: send the tenant's API-KEY header, or ?scope=all", 'invalid_request'),
    401: problem(
      'Admin token missing or wrong, an API-KEY not configured, or scope=all without the admin token while SEAL_SIM_API_KEYS is set',
      'unauthorized',
    ),
  };
  const rule = (text: string) => `${text}\n\n${CONTROL_RULE_TEXT}`;

  app.get<{ Querystring: { tenant?: string; limit: number } }>(
    '/batches',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'List batches',
        operationId: 'simListBatches',
        description: rule('Newest first, with state, timestamps, files and results.'),
        querystring: scopeQuery,
        response: {
          200: {
            description: 'The batches, newest first',
            type: 'object',
            required: ['batches'],
            properties: { batches: { type: 'array', items: BATCH_VIEW_SCHEMA } },
          },
          ...errors,
        },
      },
    },
    async (request) => ({
      batches: control.list({ tenant: scopeOf(request), limit: request.query.limit }).map(view),
    }),
  );

  app.get<{ Params: { batchId: number } }>(
    '/batches/:batchId',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Inspect one batch',
        operationId: 'simGetBatch',
        description: rule('Everything the simulator knows about a batch, including its transition history.'),
        params: batchParams,
        querystring: plainScopeQuery,
        response: { 200: BATCH_VIEW_SCHEMA, ...errors, 404: problem('No such batch (for this tenant)', 'batch_not_found') },
      },
    },
    async (request) => {
      const batch = control.get(request.params.batchId, scopeOf(request));
      return { ...view(batch), transitions: transitionsView(control.transitions(batch.id)) };
    },
  );

  app.delete<{ Params: { batchId: number } }>(
    '/batches/:batchId',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Forget one batch outright',
        operationId: 'simForgetBatch',
        description: rule(
          'Removes the batch, its files and its history; afterwards the vendor routes answer 404 for it. (BatchDeleteCache, by contrast, keeps it as DELETED.)',
        ),
        params: batchParams,
        querystring: plainScopeQuery,
        response: { 204: { type: 'null', description: 'Forgotten' }, ...errors, 404: problem('No such batch (for this tenant)', 'batch_not_found') },
      },
    },
    async (request, reply) => {
      await control.forget(request.params.batchId, scopeOf(request));
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { batchId: number }; Body: { to?: Status } | undefined }>(
    '/batches/:batchId/advance',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Move a batch on now',
        operationId: 'simAdvanceBatch',
        description: rule(
          'One step (UPLOADED → ACCEPTED → READY → IN_PROGRESS → FINISHING → CLOSED), or straight `to` a named status, ignoring the timing profile. The only way batches move in the `manual` timing profile. An UPLOADED batch is accepted on the way; IN_PROGRESS waits for the worker, so a CLOSED batch always has its package.',
        ),
        params: batchParams,
        querystring: plainScopeQuery,
        body: {
          type: ['object', 'null'],
          properties: { to: { type: 'string', enum: STATUSES.filter((s) => !['NEW', 'UPLOADED', 'DELETED'].includes(s)) } },
          additionalProperties: false,
        },
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

  app.post<{ Body: { tenant?: string } | undefined }>(
    '/reset',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Reset the simulator, or one tenant',
        operationId: 'simReset',
        description: rule(
          "Forgets batches (with their files), the tenant's virtual clock, its faults and its journal entries. With the API-KEY header only that key's tenant is reset; with scope=all (or the admin token) everything, or only the tenant named by `tenant` in the body or the query.",
        ),
        querystring: plainScopeQuery,
        body: { type: ['object', 'null'], properties: { tenant: { type: 'string' } }, additionalProperties: false },
        response: {
          200: {
            description: 'Who was reset and how many batches were forgotten',
            type: 'object',
            required: ['tenant', 'batches'],
            properties: { tenant: { type: ['string', 'null'] }, batches: { type: 'integer' } },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const tenant = scopeOf(request, request.body?.tenant);
      const batches = await opts.reset(tenant);
      return { tenant: tenant ?? null, batches };
    },
  );

  const clockSchema = CLOCK_VIEW_SCHEMA;
  const readClock = (tenant: string): ClockView => clockView(tenant, clock.read(tenant));
  const clockDoc = (operationId: string, summary: string, description: string) => ({
    operationId,
    tags: [TAGS.control],
    security: NO_SECURITY,
    summary,
    description: rule(`${description} The tenant is the one of the API-KEY header (or, with scope=all or the admin token, ?tenant=).`),
    querystring: plainScopeQuery,
  });

  app.get(
    '/clock',
    {
      schema: {
        ...clockDoc('simGetClock', "Read a tenant's clock", 'Every time the simulator shows or stamps for this tenant comes from this clock.'),
        response: { 200: clockSchema, ...errors },
      },
    },
    async (request) => readClock(requireTenant(request)),
  );

  app.put<{ Body: { at?: string; speed?: number } }>(
    '/clock',
    {
      schema: {
        ...clockDoc(
          'simSetClock',
          "Set a tenant's clock",
          'Set the time (`at`, ISO 8601, years 1970–9999) and/or the speed (0 = frozen, 1 = real time, 60 = a minute per second). A time outside that range, or a speed that would carry the clock past 9999 within a day of real time, is a 400.',
        ),
        body: {
          type: 'object',
          properties: { at: { type: 'string', format: 'date-time' }, speed: { type: 'number', minimum: 0, maximum: MAX_SPEED } },
          additionalProperties: false,
        },
        response: { 200: clockSchema, ...errors },
      },
    },
    async (request) => {
      const tenant = requireTenant(request);
      if (request.body.at !== undefined) clock.set(tenant, new Date(request.body.at));
      if (request.body.speed !== undefined) clock.setSpeed(tenant, request.body.speed);
      control.tickTenant(tenant);
      return readClock(tenant);
    },
  );

  app.post<{ Body: { by: string | number } }>(
    '/clock/advance',
    {
      schema: {
        ...clockDoc(
          'simAdvanceClock',
          "Advance a tenant's clock",
          'Move time forward by a duration: milliseconds, "90s", "5m", "1h30m", "2d" or ISO 8601 "PT5M". Batches that become due move on at once. A clock stays within years 1970–9999: an advance past that is a 400 that says how much may be added.',
        ),
        // Published in full; Fastify checks the outline and parseDuration reads `by`, saying what a duration looks like.
        body: {
          required: true,
          content: {
            'application/json': {
              schema: checkedAs(
                { type: 'object', required: ['by'], properties: { by: DURATION_SCHEMA }, additionalProperties: false, examples: [{ by: '5m' }] },
                { type: 'object', required: ['by'], properties: { by: { type: ['string', 'number'] } }, additionalProperties: false },
              ),
            },
          },
        },
        response: { 200: clockSchema, ...errors },
      },
    },
    async (request) => {
      const tenant = requireTenant(request);
      clock.advance(tenant, parseDuration(request.body.by));
      control.tickTenant(tenant);
      return readClock(tenant);
    },
  );
}
