import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Config } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { rememberKey } from './tenant-label.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the API key stands for; set by the auth hook on every vendor route. */
    tenant: string;
  }
}

export const API_KEY_HEADER = 'api-key';

/**
 * A tenant is named after its key but never is the key: the id is a short hash, so batch lists,
 * logs and the board can show tenants without showing secrets.
 */
export function tenantOf(apiKey: string): string {
  let tenant = tenants.get(apiKey);
  if (tenant === undefined) {
    tenant = `t-${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}`;
    rememberKey(apiKey, tenant);
    if (tenants.size >= MAX_CACHED_TENANTS) tenants.clear(); // bounded: a flood of random keys cannot grow it
    tenants.set(apiKey, tenant);
  }
  return tenant;
}

/** Hashing the key on every request costs more than the status route's own work; keep the answer. */
const tenants = new Map<string, string>();
const MAX_CACHED_TENANTS = 10_000;

/** With auth off, requests without a key share this tenant. */
export const PUBLIC_TENANT = 'public';

/**
 * HTTP Basic credentials as an API key (the RFC 3161 endpoint, docs/vendor-contract.md#authentication). NOTE: the vendor
 * does not say which part carries the key; the simulator takes the password, or the user name
 * when the password is empty.
 */
function basicKey(header: string | undefined): string {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return '';
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return (password || user).trim();
}

/** The realm of the vendor's API key (and of Basic on the RFC 3161 route, where it carries the same key). */
export const VENDOR_REALM = 'SEAL API';

/**
 * The `WWW-Authenticate` value of a vendor route's 401 (RFC 9110 §11.6.1: every 401 carries one).
 * The API key has no registered scheme, so it is named `APIKey` with the header to send it in, the
 * form API gateways use; where HTTP Basic is accepted (the RFC 3161 route) Basic comes first, so a
 * challenge-first client (curl --anyauth, urllib's HTTPBasicAuthHandler, Java's Authenticator,
 * .NET's HttpClientHandler.Credentials) answers with Basic credentials and gets in.
 */
export function vendorChallenge(options: { basic?: boolean } = {}): string {
  const apiKey = `APIKey realm="${VENDOR_REALM}", header="API-KEY"`;
  return options.basic ? `Basic realm="${VENDOR_REALM}", charset="UTF-8", ${apiKey}` : apiKey;
}

/** The API-KEY header's value, trimmed ('' when absent). */
export function apiKeyOf(request: FastifyRequest): string {
  const raw = request.headers[API_KEY_HEADER];
  return (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
}

/**
 * The onRequest hook for vendor routes: 401 without an accepted API-KEY, tenant otherwise.
 * Callback-style (not async): it runs on every vendor request, and a promise per call is measurable.
 */
export function apiKeyAuth(config: Pick<Config, 'apiKeys' | 'auth'>, options: { basic?: boolean } = {}) {
  const allowed = new Set(config.apiKeys);
  const how = options.basic ? 'the API-KEY request header or HTTP Basic credentials' : 'the API-KEY request header';
  const challenge = vendorChallenge(options);
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const key = apiKeyOf(request) || (options.basic ? basicKey(request.headers.authorization) : '');
    if (!config.auth) {
      request.tenant = key ? tenantOf(key) : PUBLIC_TENANT;
      return done();
    }
    if (!key) {
      reply.header('www-authenticate', challenge);
      return done(new DomainError('unauthorized', `Send your API key in ${how}.`));
    }
    if (allowed.size > 0 && !allowed.has(key)) {
      reply.header('www-authenticate', challenge);
      return done(new DomainError('unauthorized', 'This API-KEY is not one the simulator was configured with (SEAL_SIM_API_KEYS).'));
    }
    request.tenant = tenantOf(key);
    done();
  };
}
