import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { simulatorOperation } from '../contract/simulator-operations.js';
import { DomainError } from '../domain/errors.js';
import type { FaultRegistry } from '../faults/fault-registry.js';
import { type Journal, parseJournalQuery } from '../journal/journal.js';
import { verifySequence } from '../journal/verify.js';
import { CONTROL_UNAUTHORIZED, controlGuard, controlScope, SCOPE_QUERY } from './control-access.js';
import { FAULT_ID, FAULT_LIST, FAULTS_ADDED, FAULTS_BODY, JOURNAL_PAGE, JOURNAL_QUERY, REMOVED, VERIFIED, VERIFY_BODY } from './control-schemas.js';
import { noContent, problem, TAGS, simulatorGroup } from './schemas.js';

/**
 * Control API for faults and the request journal (/_simulator/faults, /_simulator/journal…).
 * Scoped like the rest of the control API (src/http/control-access.ts): the API-KEY header names
 * one tenant; every tenant needs the admin token or ?scope=all. What each operation does is told
 * in src/contract/simulator-operations.ts.
 */
export async function steeringRoutes(
  plugin: FastifyInstance,
  opts: { faults: FaultRegistry; journal: Journal; config: Pick<Config, 'adminToken' | 'apiKeys'> },
): Promise<void> {
  // Params, queries, bodies and replies are typed from the route schemas (TypeBox).
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { faults, journal, config } = opts;
  app.addHook('onRequest', controlGuard(config));
  const scopeOf = (request: FastifyRequest, named?: string): string | undefined => controlScope(request, config, named).tenant;
  const errors = {
    400: problem(
      "Invalid fault, filter or expectation (the detail says which field), or no scope: send the tenant's API-KEY header, or ?scope=all",
      'invalid_request',
    ),
    401: CONTROL_UNAUTHORIZED,
  };

  app.get(
    '/faults',
    { schema: { ...simulatorGroup(TAGS.control), ...simulatorOperation('simListFaults'), querystring: SCOPE_QUERY, response: { 200: FAULT_LIST, ...errors } } },
    async (request) => ({ seed: faults.seed, faults: faults.list(scopeOf(request)) }),
  );

  app.post(
    '/faults',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simAddFaults'),
        querystring: SCOPE_QUERY,
        body: FAULTS_BODY,
        response: {
          201: FAULTS_ADDED,
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
    { schema: { ...simulatorGroup(TAGS.control), ...simulatorOperation('simClearFaults'), querystring: SCOPE_QUERY, response: { 200: REMOVED, ...errors } } },
    async (request) => ({ removed: faults.clear(scopeOf(request)) }),
  );

  app.delete(
    '/faults/:id',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simRemoveFault'),
        params: FAULT_ID,
        querystring: SCOPE_QUERY,
        response: { 204: noContent('Removed'), ...errors, 404: problem('No such fault (for this tenant)', 'fault_not_found') },
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

  /** The journal query a request asks for, within the caller's scope (the token and scope parameters are the guard's). */
  const journalQuery = (request: FastifyRequest, query: Record<string, unknown>) => {
    const { token: _token, scope: _scope, ...rest } = query;
    const q = parseJournalQuery(rest);
    const tenant = scopeOf(request);
    return tenant ? { ...q, tenant } : q;
  };

  app.get(
    '/journal',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simQueryJournal'),
        querystring: JOURNAL_QUERY,
        response: { 200: JOURNAL_PAGE, ...errors },
      },
    },
    async (request) => ({ entries: journal.query(journalQuery(request, request.query)), stats: { ...journal.stats() } }),
  );

  app.get(
    '/journal.ndjson',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simExportJournal'),
        querystring: JOURNAL_QUERY,
        response: { 200: { description: 'One entry per line', content: { 'application/x-ndjson': { schema: { type: 'string' } } } }, ...errors },
      },
    },
    async (request, reply) => {
      const q = journalQuery(request, request.query);
      return reply.type('application/x-ndjson').send(Readable.from(journal.ndjsonLines(q)));
    },
  );

  app.post(
    '/journal/verify',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simVerifyJournal'),
        querystring: SCOPE_QUERY,
        body: VERIFY_BODY,
        response: { 200: VERIFIED, ...errors },
      },
    },
    async (request) => {
      const tenant = scopeOf(request, request.body.tenant);
      // verifySequence validates `expected` itself (400 with the step at fault); the journal is scoped here.
      const result = verifySequence(journal.query(tenant ? { tenant } : {}), request.body.expected);
      return { matched: result.matched, matchedSeqs: result.matchedSeqs, failedAt: result.failedAt, reason: result.reason };
    },
  );

  app.delete(
    '/journal',
    { schema: { ...simulatorGroup(TAGS.control), ...simulatorOperation('simClearJournal'), querystring: SCOPE_QUERY, response: { 200: REMOVED, ...errors } } },
    async (request) => ({ removed: journal.clear(scopeOf(request)) }),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
