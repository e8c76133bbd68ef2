import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { DomainError } from '../domain/errors.js';

/**
 * How the vendor routes read request parts the way a lenient ASP.NET server's binders do: a body
 * an action does not bind, AcceptBatch's id from five places, the package name from
 * Content-Disposition, and the multipart mistake. The routes (./batch-routes.ts) only wire them.
 */

/** A body the route does not read: drained and dropped, whatever its Content-Type. */
export function ignoreBody(_request: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: unknown) => void): void {
  payload.on('error', (err) => done(err));
  payload.on('end', () => done(null, undefined));
  payload.resume();
}

/** The content types AcceptBatch reads (besides none at all). */
export const ACCEPT_BATCH_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded'] as const;

/**
 * AcceptBatch's body as its binders would read it: undefined when empty; a bare number (with any
 * Content-Type or none); a form's fields; JSON; else plain text (refused later by acceptBatchId
 * with the value shown). A Content-Type outside {@link ACCEPT_BATCH_TYPES} with a body that is
 * not a bare number is a 415 naming them.
 */
export function acceptBody(contentType: string | undefined, raw: string): unknown {
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^"?\d+"?$/.test(text)) return text.replaceAll('"', '');
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (type === '' || type === 'application/json' || type.endsWith('+json') || type === 'text/plain') {
    try {
      return JSON.parse(text);
    } catch {
      if (type === '' && text.includes('=')) return Object.fromEntries(new URLSearchParams(text));
      return text;
    }
  }
  throw new DomainError(
    'unsupported_media_type',
    `AcceptBatch does not read a body of Content-Type ${JSON.stringify(contentType)}. Send the batch id in the path (/api/AcceptBatch/{batchId}), the query (?batchId=), or a body of one of: ${ACCEPT_BATCH_TYPES.join(', ')} (or the bare number with any type).`,
  );
}

/** The vendor wants the ZIP as the raw body; multipart is the usual integrator mistake. */
export function refuseMultipart(request: FastifyRequest): void {
  if ((request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) {
    throw new DomainError(
      'unsupported_media_type',
      'Send the ZIP itself as the request body (Content-Type: application/octet-stream), not as multipart/form-data.',
    );
  }
}

export function emptyBody(): Readable {
  return Readable.from([]);
}

/** `Content-Disposition: attachment; filename="x.zip"` → x.zip (names only, never paths). */
export function packageName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  let name: string | undefined;
  try {
    name = star ? decodeURIComponent(star[1]!) : plain?.[1];
  } catch {
    name = plain?.[1];
  }
  const base = name?.split(/[\\/]/).pop()?.trim();
  return base && base.length <= 255 && !/[\u0000-\u001f]/.test(base) ? base : undefined;
}

/** Where AcceptBatch's id may be (docs/vendor-contract.md#acceptbatch): path, query, JSON body {"batchId": n}, form field batchId, or a bare number. */
export function acceptBatchId(request: FastifyRequest<{ Params: { batchId?: string }; Querystring: { batchId?: string } }>): number {
  const body = request.body as unknown;
  const fromBody =
    body === undefined || body === null
      ? undefined
      : typeof body === 'object' && !Array.isArray(body)
        ? Object.entries(body as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'batchid')?.[1]
        : body;
  const sources: [string, unknown][] = [
    ['path', request.params.batchId],
    ['query', request.query.batchId],
    ['body', fromBody],
  ];
  const found = new Map<number, string>();
  for (const [where, value] of sources) {
    if (value === undefined || value === '') continue;
    // Only a number or a string can be an id; anything else (an object whose toString is not a
    // function, say) is refused without being converted, which could throw.
    const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
      throw new DomainError('invalid_request', `batchId in the ${where} must be a positive integer, got ${JSON.stringify(value)}.`);
    }
    found.set(n, found.has(n) ? `${found.get(n)} and ${where}` : where);
  }
  if (found.size > 1) {
    const list = [...found].map(([n, where]) => `${n} (${where})`).join(' vs ');
    throw new DomainError('invalid_request', `Two different batch ids were given: ${list}. Give one.`);
  }
  const [id] = found.keys();
  if (id === undefined) {
    throw new DomainError(
      'invalid_request',
      'No batchId given. Put it in the path (/api/AcceptBatch/{batchId}), the query (?batchId=), a JSON body {"batchId": n}, a form field batchId, or send the bare number as the body.',
    );
  }
  return id;
}
