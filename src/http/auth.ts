import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { DomainError } from '../domain/errors.js';

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
export const tenantOf = (apiKey: string): string => `t-${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}`;

/** With auth off, requests without a key share this tenant. */
export const PUBLIC_TENANT = 'public';

/** The onRequest hook for vendor routes: 401 without an accepted API-KEY, tenant otherwise. */
export function apiKeyAuth(config: Config) {
  const allowed = new Set(config.apiKeys);
  return async (request: FastifyRequest): Promise<void> => {
    const raw = request.headers[API_KEY_HEADER];
    const key = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
    if (!config.auth) {
      request.tenant = key ? tenantOf(key) : PUBLIC_TENANT;
      return;
    }
    if (!key) {
      throw new DomainError('unauthorized', 'Send your API key in the API-KEY request header.');
    }
    if (allowed.size > 0 && !allowed.has(key)) {
      throw new DomainError('unauthorized', 'This API-KEY is not one the simulator was configured with (SEAL_SIM_API_KEYS).');
    }
    request.tenant = tenantOf(key);
  };
}
