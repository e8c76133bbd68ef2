import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { FaultRegistry } from '../faults/fault-registry.js';
import { FAULT_KINDS, FAULT_ROUTES, KIND_INFO } from '../faults/fault-spec.js';
import { type Journal, journalFilterProperties, parseJournalQuery } from '../journal/journal.js';
import { type ExpectedCall, verifySequence } from '../journal/verify.js';
import type { Config } from '../config.js';
import { CONTROL_RULE_TEXT, controlGuard, controlScope, scopeQueryProperties } from './control-access.js';
import { faultBodySchema } from '../faults/fault-schema.js';
import { checkedAs } from './schema-compilers.js';
import { EXPECTED_SCHEMA } from '../journal/verify-schema.js';
import { NO_SECURITY, problem, TAGS } from './schemas.js';

/**
 * Control API for faults and the request journal (/_simulator/faults, /_simulator/journal…).
 * Scoped like the rest of the control API (src/http/control-access.ts): the API-KEY header names
 * one tenant; every tenant needs the admin token or ?scope=all.
 */
export async function steeringRoutes(
  app: FastifyInstance,
  opts: { faults: FaultRegistry; journal: Journal; config: Pick<Config, 'adminToken' | 'apiKeys'> },
): Promise<void> {
  const { faults, journal, config } = opts;
  app.addHook('onRequest', controlGuard(config));
  const scopeOf = (request: FastifyRequest, named?: string): string | undefined => controlScope(request, config, named).tenant;
  const rule = (text: string) => `${text}\n\n${CONTROL_RULE_TEXT}`;
  const errors = {
    400: problem(
      "Invalid fault, filter or expectation (the detail says which field), or no scope: send the tenant's API-KEY header, or ?scope=all",
      'invalid_request',
    ),
    401: problem(
      'Admin token missing or wrong, an API-KEY not configured, or scope=all without the admin token while SEAL_SIM_API_KEYS is set',
      'unauthorized',
    ),
  };
  const anyObject = { type: 'object', additionalProperties: true };
  const faultSchema = {
    type: 'object',
    additionalProperties: true,
    required: ['id', 'kind', 'route'],
    properties: {
      id: { type: 'string' },
      tenant: { type: 'string' },
      route: { type: 'string', enum: [...FAULT_ROUTES] },
      kind: { type: 'string', enum: [...FAULT_KINDS] },
      batchId: { type: 'integer' },
      fileName: { type: 'string' },
      count: { type: 'integer' },
      probability: { type: 'number' },
      seed: { type: 'integer' },
      remaining: { type: ['integer', 'null'] },
      fired: { type: 'integer' },
      matched: { type: 'integer' },
    },
  };
  const scopeQuery = { type: 'object', properties: scopeQueryProperties };

  app.get(
    '/faults',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'List active faults',
        operationId: 'simListFaults',
        description: rule("The tenant's faults and the ones that apply to every tenant, with how often each matched and fired and what remains."),
        querystring: scopeQuery,
        response: {
          200: {
            description: 'Active faults and the registry seed',
            type: 'object',
            required: ['seed', 'faults'],
            properties: { seed: { type: 'integer' }, faults: { type: 'array', items: faultSchema } },
          },
          ...errors,
        },
      },
    },
    async (request) => ({ seed: faults.seed, faults: faults.list(scopeOf(request)) }),
  );

  app.post<{ Body: unknown }>(
    '/faults',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Inject faults',
        operationId: 'simAddFaults',
        description: [
          'One fault or a list. Each matches a `route` (CreateBatch, upload, BatchStatus, BatchDeleteCache, AcceptBatch, batchfile, tsa or *), optionally a `batchId` or `fileName`, and fires for the next `count` matching calls (default 1) or with a seeded `probability`.',
          `HTTP kinds: ${kindList('http')}.`,
          `Domain kinds (matched when the batch is processed, route AcceptBatch or *): ${kindList('domain')}.`,
          "Sent with an API-KEY header, a fault belongs to that key's tenant (a `tenant` naming another is refused); with scope=all (or the admin token) it applies to the `tenant` it names, or to every tenant.",
          CONTROL_RULE_TEXT,
        ].join('\n\n'),
        querystring: scopeQuery,
        // Published as the per-kind union; Fastify checks only that it is an object or a list, and
        // parseFaultSpec (in faults.add) checks each definition against the same kind table, naming
        // the field at fault. Not ajv over the union: its defaults and coercion would rewrite a
        // definition while trying each kind, and its refusal would name a branch, not the field.
        body: checkedAs(faultBodySchema(), { oneOf: [anyObject, { type: 'array', items: anyObject }] }),
        response: {
          201: {
            description: 'The faults as stored (with id, seed and remaining count)',
            type: 'object',
            required: ['faults'],
            properties: { faults: { type: 'array', items: faultSchema } },
          },
          ...errors,
          429: problem('The tenant holds SEAL_SIM_MAX_FAULTS_PER_TENANT active faults (or the simulator 10 000); remove some first', 'too_many_faults'),
        },
      },
    },
    async (request, reply) => {
      const list = Array.isArray(request.body) ? request.body : [request.body];
      // Each fault's own `tenant` is checked against the caller's scope like ?tenant= is.
      const scoped = list.map((spec) => {
        const named = isObject(spec) && typeof spec.tenant === 'string' ? spec.tenant : undefined;
        const tenant = scopeOf(request, named);
        return tenant && isObject(spec) ? { ...spec, tenant } : spec;
      });
      const added = scoped.map((spec) => faults.add(spec));
      return reply.code(201).send({ faults: added });
    },
  );

  app.delete(
    '/faults',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Remove faults',
        operationId: 'simClearFaults',
        description: rule("Removes the tenant's own faults, or (scope=all without ?tenant=) every fault."),
        querystring: scopeQuery,
        response: {
          200: { description: 'How many were removed', type: 'object', required: ['removed'], properties: { removed: { type: 'integer' } } },
          ...errors,
        },
      },
    },
    async (request) => ({ removed: faults.clear(scopeOf(request)) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/faults/:id',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Remove one fault',
        operationId: 'simRemoveFault',
        description: rule("Removes a fault by the id POST /_simulator/faults gave it (only the tenant's own when an API-KEY is sent)."),
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', examples: ['f1'] } } },
        querystring: scopeQuery,
        response: { 204: { type: 'null', description: 'Removed' }, ...errors, 404: problem('No such fault (for this tenant)', 'fault_not_found') },
      },
    },
    async (request, reply) => {
      const tenant = scopeOf(request);
      if (!faults.remove(request.params.id, tenant)) {
        throw new DomainError('fault_not_found', `There is no fault ${request.params.id}${tenant ? ' for this tenant' : ''}.`);
      }
      return reply.code(204).send();
    },
  );

  const journalQuery = (request: FastifyRequest) => {
    const { token: _token, scope: _scope, ...rest } = request.query as Record<string, unknown>;
    const q = parseJournalQuery(rest);
    const tenant = scopeOf(request);
    return tenant ? { ...q, tenant } : q;
  };
  // The tenant filter is the control scope's `tenant` (scopeQueryProperties).
  const { tenant: _tenant, ...journalFilters } = journalFilterProperties();
  const filters = {
    type: 'object',
    additionalProperties: true,
    properties: {
      ...scopeQueryProperties,
      ...journalFilters,
    },
  };
  const entrySchema = {
    type: 'object',
    additionalProperties: true,
    properties: { seq: { type: 'integer' }, at: { type: 'string' }, route: { type: ['string', 'null'] } },
  };

  app.get(
    '/journal',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Query the request journal',
        operationId: 'simQueryJournal',
        description: rule(
          'Every vendor-API request: method, path (credential query parameters such as token or api_key redacted), headers (secrets redacted), body size and SHA-256 (uploads), status, latency and any fault applied. Oldest first; `limit` keeps the newest. Bounded by SEAL_SIM_JOURNAL_MAX_ENTRIES and _BYTES.',
        ),
        querystring: filters,
        response: {
          200: {
            description: 'Matching entries, oldest first, and the journal size',
            type: 'object',
            required: ['entries', 'stats'],
            properties: { entries: { type: 'array', items: entrySchema }, stats: anyObject },
          },
          ...errors,
        },
      },
    },
    async (request) => ({ entries: journal.query(journalQuery(request)), stats: journal.stats() }),
  );

  app.get(
    '/journal.ndjson',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Export the journal as NDJSON',
        operationId: 'simExportJournal',
        description: rule('The same entries and filters as GET /_simulator/journal, one JSON object per line.'),
        querystring: filters,
        response: { 200: { description: 'One entry per line', content: { 'application/x-ndjson': { schema: { type: 'string' } } } }, ...errors },
      },
    },
    async (request, reply) => {
      const q = journalQuery(request);
      return reply.type('application/x-ndjson').send(Readable.from(journal.ndjsonLines(q)));
    },
  );

  app.post<{ Body: { expected: unknown; tenant?: string } }>(
    '/journal/verify',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Verify that a sequence of calls was made',
        operationId: 'simVerifyJournal',
        description: rule(
          'Answers whether the `expected` calls appear in this order in the journal (other calls may come between). A step matches on any of `route`, `method`, `path` (exact, with or without the query; or a glob where `*` stands for any characters, e.g. "/api/BatchStatus/*"), `pathPrefix`, `batchId`, `status` (e.g. 200 or "2xx"), and may repeat (`minTimes`, `maxTimes`) — e.g. [{"route":"BatchStatus","minTimes":2},{"route":"batchfile","status":200}]. Regular expressions are not accepted (a caller\'s pattern could stall the server for everyone): a `path` written as "/regex/" or a `regex` field is a 400 saying what to use instead.',
        ),
        querystring: scopeQuery,
        body: { type: 'object', required: ['expected'], properties: { expected: { type: 'array' }, tenant: { type: 'string' } } },
        // Documented in full; Fastify checks only the outline and verifySequence the steps, with its own messages.
        'x-openapi-only': {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['expected'],
                  properties: { expected: EXPECTED_SCHEMA, tenant: { type: 'string', description: 'A tenant id (t-…), when no API-KEY is sent' } },
                },
                example: { expected: [{ route: 'CreateBatch', status: 201 }] },
              },
            },
          },
        },
        response: {
          200: {
            description: 'Whether the sequence was found, and where it stopped matching if not',
            type: 'object',
            required: ['matched'],
            properties: {
              matched: { type: 'boolean' },
              matchedSeqs: { type: 'array', items: { type: 'integer' } },
              failedAt: { type: 'integer' },
              reason: { type: 'string' },
            },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const tenant = scopeOf(request, request.body.tenant);
      // verifySequence validates `expected` itself (400 with the step at fault); the journal is scoped here.
      const result = verifySequence(journal.query(tenant ? { tenant } : {}), request.body.expected as ExpectedCall[]);
      return { matched: result.matched, matchedSeqs: result.matchedSeqs, failedAt: result.failedAt, reason: result.reason };
    },
  );

  app.delete(
    '/journal',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Clear the journal',
        operationId: 'simClearJournal',
        description: rule("Clears the tenant's entries, or (scope=all without ?tenant=) all."),
        querystring: scopeQuery,
        response: {
          200: { description: 'How many were removed', type: 'object', required: ['removed'], properties: { removed: { type: 'integer' } } },
          ...errors,
        },
      },
    },
    async (request) => ({ removed: journal.clear(scopeOf(request)) }),
  );
}

/** `latency` {ms, minMs, maxMs}, `reset`, …: a level's kinds with their own fields, from the kind table. */
const kindList = (level: 'http' | 'domain'): string =>
  FAULT_KINDS.filter((k) => KIND_INFO[k].level === level)
    .map((k) => {
      const fields = Object.keys(KIND_INFO[k].params);
      return fields.length > 0 ? `\`${k}\` {${fields.join(', ')}}` : `\`${k}\``;
    })
    .join(', ');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
