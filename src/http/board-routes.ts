import type { FastifyInstance } from 'fastify';
import type { Simulator } from '../app.js';
import { adminGuard, view } from './control-routes.js';
import { BOARD_HTML } from './board-page.js';
import { NO_SECURITY, TAGS } from './schemas.js';
import { tenantLabel } from './tenant-label.js';
import { statusTable } from '../domain/status.js';

/**
 * A file's state in the terms of BatchStatus's document fields: `signed` is signed "true";
 * `failed` is signingResult_Success "false" once the batch has a result; `pending` is before that;
 * `succeeded` is a success without a seal (a validate process checks files, it does not seal them).
 */
export type FileState = 'signed' | 'failed' | 'pending' | 'succeeded';

export function fileState(d: { signed: boolean; success: boolean }, processed: boolean): FileState {
  if (d.signed) return 'signed';
  if (!processed) return 'pending';
  return d.success ? 'succeeded' : 'failed';
}

/**
 * The batch board: a page at /_simulator/ for a person watching a test run, and the one JSON
 * snapshot it polls (/_simulator/state). Plain HTML and a few lines of script, no CDN.
 */
export async function boardRoutes(app: FastifyInstance, opts: { sim: Simulator }): Promise<void> {
  const { sim } = opts;
  app.addHook('onRequest', adminGuard(sim.config.adminToken));

  app.get(
    '/',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'The batch board (HTML)',
        operationId: 'simBoard',
        description: "Each tenant's batches live (status, time in status, files and results), clocks, active faults and the latest journal entries, with buttons to advance, fail or reset. Polls /_simulator/state once a second.",
        response: { 200: { description: 'The board page', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(BOARD_HTML),
  );

  app.get(
    '/state',
    {
      schema: {
        tags: [TAGS.control],
        security: NO_SECURITY,
        summary: 'Everything the board shows, in one snapshot',
        description:
          'Every tenant with its virtual clock and its latest batches (as GET /_simulator/batches shows them), the active faults and the newest journal entries. The board polls this once a second; a script can too.',
        operationId: 'simBoardState',
        response: {
          200: {
            description: 'A snapshot of tenants, batches, clocks, faults and recent requests',
            type: 'object',
            required: ['at', 'timing', 'tenants', 'faults', 'journal'],
            properties: {
              at: { type: 'string', format: 'date-time' },
              timing: { type: 'string' },
              seed: { type: 'integer' },
              statusTable: { type: 'string', description: 'The status table in force: batches carry `apiStatus`, the name BatchStatus reports under it' },
              tenants: {
                type: 'array',
                description: "Each tenant with `label` (its API key's tail, e.g. `key …b7c1`), its clock and its batches; a batch's files carry `state` (signed, failed, pending or succeeded)",
                items: { type: 'object', additionalProperties: true },
              },
              faults: { type: 'array', items: { type: 'object', additionalProperties: true } },
              journal: { type: 'array', items: { type: 'object', additionalProperties: true } },
              journalStats: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    },
    async () => {
      const batches = sim.service.list({ limit: 500 });
      const tenants = new Set([...batches.map((b) => b.tenant), ...sim.clock.tenants()]);
      const table = statusTable(sim.config.statusTable);
      return {
        at: new Date().toISOString(),
        timing: sim.config.timing,
        statusTable: sim.config.statusTable,
        seed: sim.faults.seed,
        tenants: [...tenants].sort().map((tenant) => {
          const c = sim.clock.read(tenant);
          return {
            tenant,
            label: tenantLabel(tenant),
            clock: { now: c.now.toISOString(), speed: c.speed, offsetMs: c.offsetMs },
            batches: batches
              .filter((b) => b.tenant === tenant)
              .map((b) => {
                const v = view(sim, b);
                return {
                  ...v,
                  apiStatus: table.name(b.status),
                  documents: v.documents.map((d) => ({ ...d, state: fileState(d, b.result !== null) })),
                };
              }),
          };
        }),
        faults: sim.faults.list(),
        journal: sim.journal.query({ limit: 30 }).map((e) => ({ ...e, tenantLabel: tenantLabel(e.tenant) })),
        journalStats: sim.journal.stats(),
      };
    },
  );
}
