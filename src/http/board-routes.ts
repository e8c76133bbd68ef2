import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { simulatorOperation } from '../contract/simulator-operations.js';
import type { Config } from '../config.js';
import type { BatchControl } from '../domain/batch-control.js';
import type { TenantClocks } from '../domain/tenant-clocks.js';
import type { FaultRegistry } from '../faults/fault-registry.js';
import type { Journal } from '../journal/journal.js';
import type { KeySettings } from '../key-settings.js';
import { ADMIN_UNAUTHORIZED, adminCookie, controlGuard, controlScope, SCOPE_QUERY } from './control-access.js';
import { BOARD_QUERY, SNAPSHOT } from './control-schemas.js';
import { batchView, type ClockView, clockView } from './control-views.js';
import { BOARD_HTML } from './board-page.js';
import { problem, TAGS, simulatorGroup } from './schemas.js';
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
export interface BoardRoutesOptions {
  /** Who may look (src/http/control-access.ts), and the settings the snapshot names. */
  config: Pick<Config, 'adminToken' | 'apiKeys' | 'timing' | 'statusTable'>;
  control: Pick<BatchControl, 'list' | 'timesOf'>;
  clock: Pick<TenantClocks, 'read' | 'tenants'>;
  keys: Pick<KeySettings, 'labelOf'>;
  faults: Pick<FaultRegistry, 'seed' | 'list'>;
  journal: Pick<Journal, 'query' | 'stats'>;
}

export async function boardRoutes(plugin: FastifyInstance, opts: BoardRoutesOptions): Promise<void> {
  // Queries and replies are typed from the route schemas (TypeBox).
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { config, control, clock, keys, faults, journal } = opts;
  app.addHook('onRequest', controlGuard(config));

  app.get(
    '/',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simBoard'),
        querystring: BOARD_QUERY,
        response: {
          200: { description: 'The board page', content: { 'text/html': { schema: { type: 'string' } } } },
          303: { type: 'null', description: 'Opened with ?token=: the cookie is set and the page reloads without the token in its URL' },
          401: ADMIN_UNAUTHORIZED,
        },
      },
    },
    async (request, reply) => {
      const token = config.adminToken;
      // The guard has already checked the token; here it only moves from the URL to a cookie.
      if (token && typeof request.query.token === 'string') {
        return reply.code(303).header('set-cookie', adminCookie(token)).header('cache-control', 'no-store').header('location', '/_simulator/').send();
      }
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(BOARD_HTML);
    },
  );

  app.get(
    '/state',
    {
      schema: {
        ...simulatorGroup(TAGS.control),
        ...simulatorOperation('simBoardState'),
        querystring: SCOPE_QUERY,
        response: {
          200: SNAPSHOT,
          400: problem('No scope: send scope=all (every tenant) or an API-KEY header (that tenant)', 'invalid_request'),
          401: problem('Admin token missing or wrong, or scope=all without it while SEAL_SIM_API_KEYS is set', 'unauthorized'),
        },
      },
    },
    async (request) => {
      const only = controlScope(request, config).tenant;
      const batches = control.list({ tenant: only, limit: 500 });
      const tenants = only !== undefined ? new Set([only]) : new Set([...batches.map((b) => b.tenant), ...clock.tenants()]);
      const table = statusTable(config.statusTable);
      // A label from SEAL_SIM_KEYS_FILE wins; otherwise the key's tail.
      const labelOf = (tenant: string) => keys.labelOf(tenant) ?? tenantLabel(tenant);
      return {
        at: new Date().toISOString(),
        timing: config.timing,
        statusTable: config.statusTable,
        seed: faults.seed,
        tenants: [...tenants].sort().map((tenant) => {
          // One tenant's bad state (a clock or timestamp no date can show) must not cost everyone
          // the snapshot: it is listed with the error, the others as usual.
          let shownClock: Omit<ClockView, 'tenant'> | null = null;
          try {
            const { tenant: _tenant, ...c } = clockView(tenant, clock.read(tenant));
            shownClock = c;
            return {
              tenant,
              label: labelOf(tenant),
              clock: shownClock,
              batches: batches
                .filter((b) => b.tenant === tenant)
                .map((b) => {
                  const v = batchView(b, control.timesOf(b));
                  return {
                    ...v,
                    apiStatus: table.name(b.status),
                    documents: v.documents.map((d, i) => ({ ...d, state: fileState(b.documents[i]!, b.result !== null) })),
                  };
                }),
            };
          } catch (err) {
            request.log.warn({ tenant, err: (err as Error).message }, 'board: could not show a tenant');
            return {
              tenant,
              label: labelOf(tenant),
              clock: shownClock ?? { now: new Date().toISOString(), speed: 1, offsetMs: 0 },
              batches: [],
              error: `This tenant's state cannot be shown (${(err as Error).message}); POST /_simulator/reset with its API-KEY clears it.`,
            };
          }
        }),
        faults: faults.list(only),
        journal: journal.query({ limit: 30, ...(only !== undefined && { tenant: only }) }).map((e) => ({ ...e, tenantLabel: labelOf(e.tenant) })),
        journalStats: { ...journal.stats() }, // a copy as a plain object: the document publishes it as any object
      };
    },
  );
}
