import { type Readable, Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { DomainError } from '../domain/errors.js';

/**
 * Slow and idle clients are cut off, so one caller's slow connection cannot hold sockets and
 * file handles that every other caller needs:
 *
 * - headers: Node's `headersTimeout` (set from SEAL_SIM_REQUEST_TIMEOUT_MS in src/app.ts);
 * - the body of any request but an upload: must arrive within SEAL_SIM_REQUEST_TIMEOUT_MS of the
 *   moment its headers did (this module), else 408;
 * - an upload streams its own body: it has a deadline and a minimum rate instead
 *   (SEAL_SIM_UPLOAD_TIMEOUT_MS, SEAL_SIM_UPLOAD_MIN_BYTES_PER_SECOND; src/archive/receive-upload.ts).
 *
 * A request refused before its body was read is answered with `Connection: close`, and a 408's
 * connection is closed once the answer is out (src/http/problem.ts): reading on would let the
 * client go on holding the socket.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads its body itself and bounds its time itself (the upload). */
    streamsOwnBody?: boolean;
  }
}

export function installRequestTimeouts(app: FastifyInstance, config: Pick<Config, 'requestTimeoutMs'>): void {
  const limit = config.requestTimeoutMs;
  app.addHook('preParsing', (request, reply, payload, done) => {
    // Requests without a body (a GET, the status poll) pay nothing more; Fastify reads no body
    // for GET and HEAD, nor one that declares none.
    if (!hasBody(request) || request.routeOptions.config?.streamsOwnBody) return done(null, payload);
    const timed = timedBody(payload, limit);
    reply.raw.once('close', () => timed.emit('settled'));
    done(null, timed as unknown as typeof payload);
  });
}

function hasBody(request: FastifyRequest): boolean {
  if (request.method === 'GET' || request.method === 'HEAD' || request.raw.complete) return false;
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The body, failing with a 408 DomainError if it has not ended within `limit` ms. */
function timedBody(payload: Readable, limit: number): Readable {
  const timed = new Transform({
    transform(chunk, _enc, next) {
      next(null, chunk);
    },
  });
  const timer = setTimeout(() => {
    timed.destroy(
      new DomainError(
        'request_timeout',
        `The request body did not arrive within ${limit} ms (setting SEAL_SIM_REQUEST_TIMEOUT_MS). Send the whole request at once.`,
        { limit, setting: 'SEAL_SIM_REQUEST_TIMEOUT_MS' },
      ),
    );
    payload.unpipe(timed);
  }, limit);
  timer.unref();
  const clear = () => clearTimeout(timer);
  timed.once('end', clear);
  timed.once('close', clear);
  timed.once('settled', clear); // the answer went out (e.g. refused before the body was read)
  timed.on('error', () => {}); // reported through Fastify's body reader, or to nobody once answered
  payload.on('error', (err) => timed.destroy(err));
  // Fastify's body reader looks for this to compare with Content-Length.
  Object.defineProperty(timed, 'receivedEncodedLength', { get: () => (payload as { receivedEncodedLength?: number }).receivedEncodedLength });
  return payload.pipe(timed);
}

/**
 * For the error handler: after a refusal that leaves a request body unread (or a 408), the
 * connection is closed once the answer is sent, so a slow client cannot keep it.
 */
export function closeAfterRefusal(request: FastifyRequest, reply: FastifyReply, status: number): void {
  if (request.raw.complete && status !== 408) return;
  reply.header('connection', 'close');
  reply.raw.once('finish', () => request.raw.socket?.destroySoon?.());
}
