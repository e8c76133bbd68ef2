import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { apiKeyOf, tenantOf } from './auth.js';
import { allOptional, documentOrder } from '../contract/json-schema.js';
import type { ObjectOptions } from '@sinclair/typebox';
import { type TProperties, Type } from '../domain/json-schema.js';
import { problem } from './schemas.js';

/**
 * Who may call the control API (/_simulator/… other than health, processes and the PKI), and on
 * which tenants a call acts. The one place this rule lives:
 *
 * - Admin token (SEAL_SIM_ADMIN_TOKEN): when set, every control route requires it, sent as
 *   `Authorization: Bearer <token>` (scheme in any case), `X-Admin-Token: <token>`, `?token=<token>`
 *   or the `seal_sim_admin` cookie the board page sets. Compared in constant time.
 * - Scope: with an API-KEY header a call acts on that key's tenant only (with SEAL_SIM_API_KEYS set
 *   the key must be one of them). Without one, acting on (or reading) every tenant needs the admin
 *   token or an explicit `?scope=all` (which, with SEAL_SIM_API_KEYS set, needs the admin token
 *   too); `?tenant=<id>` (or a `tenant` body field) then narrows an all-tenant call to one tenant.
 *   Anything else is a 400 that says what to send.
 *
 * Health, processes and the PKI stay open: they reveal nothing tenant-specific, and health checks
 * and signature validators must reach them without credentials.
 */

/** The cookie the board page sets so its polling never carries the token in a URL. */
export const ADMIN_COOKIE = 'seal_sim_admin';
export const ADMIN_TOKEN_HEADER = 'x-admin-token';
export const CONTROL_REALM = 'Bearer realm="seal-simulator control"';

/** The tenant(s) a control call acts on: one tenant, or every tenant (`tenant` narrows it to one). */
export type ControlScope = { all: false; tenant: string } | { all: true; tenant: string | undefined };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the control guard: the admin token was presented and is right (or none is configured). */
    controlAdmin: boolean;
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time comparison: both sides are hashed to equal-length digests first. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** A cookie's value from a Cookie header ('' when absent). */
function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Every place the admin token may come from, in order: Bearer, X-Admin-Token, ?token=, cookie. */
export function presentedAdminTokens(request: FastifyRequest): string[] {
  const out: string[] = [];
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(first(request.headers.authorization) ?? '');
  if (bearer) out.push(bearer[1]!);
  const header = first(request.headers[ADMIN_TOKEN_HEADER])?.trim();
  if (header) out.push(header);
  const query = (request.query as { token?: unknown } | undefined)?.token;
  if (typeof query === 'string' && query !== '') out.push(query);
  const cookie = cookieOf(first(request.headers.cookie), ADMIN_COOKIE);
  if (cookie) out.push(cookie);
  return out;
}

/**
 * The onRequest hook of every control route: 401 (with WWW-Authenticate) when an admin token is
 * configured and none of the presented ones is right. Marks the request as admin otherwise.
 */
export function controlGuard(config: Pick<Config, 'adminToken'>) {
  const token = config.adminToken;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = presentedAdminTokens(request);
    if (!token) {
      request.controlAdmin = false;
      return;
    }
    // Every presented value is compared (no early exit on the first), so timing says nothing either.
    let ok = false;
    for (const given of presented) ok = tokenMatches(given, token) || ok;
    if (!ok) {
      reply.header('www-authenticate', CONTROL_REALM);
      throw new DomainError(
        'unauthorized',
        presented.length === 0
          ? 'The control API needs the admin token (SEAL_SIM_ADMIN_TOKEN): send Authorization: Bearer <token>, X-Admin-Token: <token> or ?token=<token>.'
          : 'The admin token sent is not the one the simulator was configured with (SEAL_SIM_ADMIN_TOKEN).',
      );
    }
    request.controlAdmin = true;
  };
}

/**
 * The tenant scope of a control call (see the rule at the top). `named` is a tenant id the call
 * names itself (?tenant= or a `tenant` body field). Throws 400 when the call says neither whose
 * tenant nor scope=all, 401 when it asks for every tenant without the right to.
 */
export function controlScope(request: FastifyRequest, config: Pick<Config, 'apiKeys' | 'adminToken'>, named?: string): ControlScope {
  const query = (request.query ?? {}) as { tenant?: unknown; scope?: unknown };
  const tenantParam = (named ?? (typeof query.tenant === 'string' ? query.tenant : ''))?.trim() || undefined;
  const scopeParam = typeof query.scope === 'string' ? query.scope.trim().toLowerCase() : undefined;
  if (scopeParam !== undefined && scopeParam !== 'all') {
    throw new DomainError(
      'invalid_request',
      `scope must be "all" (act on every tenant); got ${JSON.stringify(query.scope)}. To act on one tenant, send its API-KEY header instead.`,
    );
  }
  const key = apiKeyOf(request);
  if (key) {
    if (config.apiKeys.length > 0 && !config.apiKeys.includes(key)) {
      throw new DomainError('unauthorized', 'This API-KEY is not one the simulator was configured with (SEAL_SIM_API_KEYS).');
    }
    const tenant = tenantOf(key);
    if (scopeParam === 'all') {
      throw new DomainError('invalid_request', 'scope=all acts on every tenant, an API-KEY on its own tenant only: send one or the other.');
    }
    if (tenantParam !== undefined && tenantParam !== tenant) {
      throw new DomainError(
        'invalid_request',
        `An API-KEY acts on its own tenant (${tenant}) only; drop the tenant ${JSON.stringify(tenantParam)}, or call without the API-KEY and with scope=all.`,
      );
    }
    return { all: false, tenant };
  }
  if (request.controlAdmin) return { all: true, tenant: tenantParam };
  if (scopeParam === 'all') {
    if (config.apiKeys.length > 0) {
      throw new DomainError(
        'unauthorized',
        config.adminToken
          ? 'scope=all needs the admin token when SEAL_SIM_API_KEYS is set: send Authorization: Bearer <token>, or send your API-KEY to act on your own tenant.'
          : 'scope=all is refused when SEAL_SIM_API_KEYS is set and no SEAL_SIM_ADMIN_TOKEN is configured: send your API-KEY to act on your own tenant.',
      );
    }
    return { all: true, tenant: tenantParam };
  }
  throw new DomainError(
    'invalid_request',
    tenantParam !== undefined
      ? `Naming a tenant (${JSON.stringify(tenantParam)}) without its API-KEY needs scope=all (or the admin token): send the tenant's API-KEY header, or add ?scope=all.`
      : "Say whose state this call is about: send the tenant's API-KEY header (that tenant only), or add ?scope=all to act on every tenant.",
  );
}

/** The one tenant a scope names, or undefined for every tenant. */
export const scopeTenant = (scope: ControlScope): string | undefined => scope.tenant;

/** The `scope`, `tenant` and `token` query parameters every scoped control route takes (OpenAPI and validation). */
export const scopeQueryProperties = {
  scope: Type.Unsafe<'all'>({
    type: 'string',
    enum: ['all'],
    description:
      "Act on (or read) every tenant. Needed without an API-KEY header unless the admin token is sent; refused (401) when SEAL_SIM_API_KEYS is set and the admin token is not sent. With an API-KEY header, leave it out: the call acts on that key's tenant only.",
  }),
  tenant: Type.String({
    description:
      "Narrows an all-tenant call (scope=all or the admin token) to one tenant id (t-… as listed by GET /_simulator/batches). With an API-KEY header it may only name that key's own tenant.",
  }),
  token: Type.String({
    description:
      'The admin token (SEAL_SIM_ADMIN_TOKEN), for a browser; prefer Authorization: Bearer <token> or X-Admin-Token. Always redacted from logs and the journal.',
  }),
};

/** The query of a scoped control route that takes nothing else; `scopedQuery(more)` adds its own parameters. */
export const scopedQuery = <P extends TProperties>(more: P, options?: ObjectOptions) =>
  documentOrder(Type.Object({ ...allOptional(scopeQueryProperties), ...more }, options));
export const SCOPE_QUERY = scopedQuery({});

/** The 401 of every scoped control route: the guard above, then the scope rule. */
export const CONTROL_UNAUTHORIZED = problem(
  'Admin token missing or wrong, an API-KEY not configured, or scope=all without the admin token while SEAL_SIM_API_KEYS is set',
  'unauthorized',
);
/** The 401 of a control route that takes no scope: the guard alone. */
export const ADMIN_UNAUTHORIZED = problem('Admin token missing or wrong', 'unauthorized');

/** Set-Cookie value for the board page opened with a right ?token= (HttpOnly: page scripts never see it). */
export function adminCookie(token: string): string {
  return `${ADMIN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/_simulator`;
}
