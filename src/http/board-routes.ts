import type { FastifyInstance } from 'fastify';
import type { Simulator } from '../app.js';
import { adminGuard, view } from './control-routes.js';
import { BOARD_HTML } from './board-page.js';
import { NO_SECURITY, TAGS } from './schemas.js';

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
              tenants: { type: 'array', items: { type: 'object', additionalProperties: true } },
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
      return {
        at: new Date().toISOString(),
        timing: sim.config.timing,
        seed: sim.faults.seed,
        tenants: [...tenants].sort().map((tenant) => {
          const c = sim.clock.read(tenant);
          return {
            tenant,
            label: sim.keys.labelOf(tenant), // SEAL_SIM_KEYS_FILE; null: show the tenant id
            clock: { now: c.now.toISOString(), speed: c.speed, offsetMs: c.offsetMs },
            batches: batches.filter((b) => b.tenant === tenant).map((b) => view(sim, b)),
          };
        }),
        faults: sim.faults.list(),
        journal: sim.journal.query({ limit: 30 }),
        journalStats: sim.journal.stats(),
      };
    },
  );
}
