import { PassThrough, pipeline, Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { dribble, statusHeaders, statusProblem, truncatedLength } from '../faults/effects.js';
import type { FaultRegistry, FiredFault } from '../faults/fault-registry.js';
import { type FaultKind, isHttpKind, type FaultSpec, type VendorRoute, vendorRouteOf } from '../faults/fault-spec.js';
import { decodePrefer } from '../faults/prefer.js';
import { BodyMeter } from '../journal/journal.js';
import type { Journal } from '../journal/journal.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { redactUrl } from './redact-url.js';
import { acceptBatchId } from './vendor-readers.js';

/**
 * Steering of vendor-API requests: per-request faults (from the fault registry or a `Prefer`
 * header) and the request journal. Everything here is route hooks that a root `onRoute` hook adds
 * to each vendor route (/api/…, /tsa/…) as it is registered, bound to the route's name; the routes
 * themselves know nothing of it, and no other route pays for it.
 *
 * Order within a request: auth (route plugin, onRequest) → preHandler here: decode Prefer, add
 * domain faults for the batch, then latency, then one terminal fault (status / reset / empty),
 * then decide dribble / truncate-download for onSend → handler → onSend (slow or cut body; journal,
 * before the last byte leaves; also for requests refused before the preHandler, e.g. 401 or 400).
 * A reset or empty reply never reaches onSend, so it is journaled at once.
 */
interface Steer {
  route: VendorRoute;
  batchId: number | null;
  labels: string[];
  meter: BodyMeter | null;
  dribble: FiredFault | null;
  truncate: FiredFault | null;
  /**
   * A domain fault asked for with Prefer: registered for this request's batch only once the
   * request has succeeded on a real batch (a 404 or 409 registers nothing).
   */
  pendingDomain: FaultSpec | null;
  /** The id of a Prefer domain fault armed for this request's batch (withdrawn if the call fails). */
  armed: string | null;
  journaled: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    steer?: Steer;
  }
}

const TERMINAL: readonly FaultKind[] = ['status', 'reset', 'empty'];

/**
 * Marks a response whose status an injected fault chose, so a client (and our own conformance
 * check, which holds every other response to the OpenAPI document) can tell it from a real answer.
 */
export const FAULT_HEADER = 'x-seal-simulator-fault';

/** The batch a request names in its path, when it names one well enough to journal it. */
function batchIdOf(request: FastifyRequest): number | null {
  const raw = (request.params as { batchId?: unknown } | undefined)?.batchId;
  return typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}

function newSteer(route: VendorRoute, request: FastifyRequest): Steer {
  return { route, batchId: batchIdOf(request), labels: [], meter: null, dribble: null, truncate: null, pendingDomain: null, armed: null, journaled: false };
}

type Hook = (...args: never[]) => unknown;
/** A route's hooks of one kind plus ours, last; always a new array (the HEAD twin shares options). */
const withHook = (existing: Hook | Hook[] | undefined, hook: Hook): Hook[] => [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), hook];

export function installSteering(app: FastifyInstance, deps: { faults: FaultRegistry; journal: Journal }): void {
  const { faults, journal } = deps;
  // Declared up front so every request object keeps one shape (adding a property per request
  // would deoptimise every later access to it).
  app.decorateRequest('steer', undefined);

  app.addHook('onRoute', (options) => {
    const route = vendorRouteOf(options.url)?.route;
    if (!route) return;
    // Callback-style, not async: every vendor request passes through these, and the common case
    // (no fault armed, no Prefer header) then costs no promise and no microtask.
    const preHandler = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const steer = (request.steer = newSteer(route, request));
      // Upload bodies are streams: count and hash them on their way to the intake.
      if (request.body instanceof Readable) meterBody(request, steer);
      if (faults.size === 0 && request.headers.prefer === undefined) return done();
      applyFaults(request, reply, steer).then(() => done(), done);
    };
    options.preHandler = withHook(options.preHandler as Hook | Hook[] | undefined, preHandler) as typeof options.preHandler;
    options.onSend = withHook(options.onSend as Hook | Hook[] | undefined, (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void) => {
      request.steer ??= newSteer(route, request); // refused before the preHandler (401, 400)
      if (reply.statusCode < 200 || reply.statusCode >= 300) disarm(request.steer);
      onSend(request, reply, payload, done);
    }) as typeof options.onSend;
    // A safety net: a response that did not pass the onSend above (a hook before it failed) is
    // journaled when it has finished, and a Prefer fault armed for it withdrawn.
    options.onResponse = withHook(options.onResponse as Hook | Hook[] | undefined, (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      request.steer ??= newSteer(route, request);
      if (reply.statusCode < 200 || reply.statusCode >= 300) disarm(request.steer);
      record(request, reply, reply.statusCode);
      done();
    }) as typeof options.onResponse;
  });

  /** Decodes Prefer, arms domain faults, then fires latency and at most one terminal fault. */
  async function applyFaults(request: FastifyRequest, reply: FastifyReply, steer: Steer): Promise<void> {
    const tenant = request.tenant;
    const oneShot: FiredFault[] = [];
    const preferred = decodePrefer(request.headers.prefer, { route: steer.route, tenant, batchId: steer.batchId });
    if (preferred) {
      if (isHttpKind(preferred.kind)) {
        const fired = faults.fireNow(preferred);
        if (fired) oneShot.push(fired);
      } else {
        // Refuse over the tenant's fault limit before the call does anything.
        faults.assertRoom(tenant);
        if (steer.route === 'CreateBatch') steer.pendingDomain = preferred; // the batch has no id yet
        else {
          // Armed before the handler runs (the worker may start on an accepted batch at once), and
          // withdrawn in onResponse unless the call succeeded on a real batch of this tenant.
          const batchId = steer.batchId ?? (steer.route === 'AcceptBatch' ? acceptIdOf(request) : null);
          if (batchId !== null) steer.armed = faults.add({ ...preferred, tenant, batchId }).id;
        }
      }
    }
    const match = { tenant, route: steer.route, batchId: steer.batchId ?? undefined };
    const fire = (kinds: readonly FaultKind[]): FiredFault | null => {
      const fired = oneShot.find((f) => kinds.includes(f.params.kind)) ?? faults.take({ ...match, kinds });
      if (fired) steer.labels.push(fired.label);
      return fired;
    };

    const latency = fire(['latency']);
    if (latency?.params.kind === 'latency') await sleep(latency.params.ms);

    const terminal = fire(TERMINAL);
    if (terminal?.params.kind === 'status') {
      const body = { ...statusProblem(terminal.params, terminal.label), instance: redactUrl(request.url), traceId: request.id };
      reply
        .code(terminal.params.status)
        .headers({ ...statusHeaders(terminal.params), [FAULT_HEADER]: terminal.label })
        .type(PROBLEM_CONTENT_TYPE)
        .send(body);
      return;
    }
    if (terminal && (terminal.params.kind === 'reset' || terminal.params.kind === 'empty')) {
      disarm(steer);
      record(request, reply, 0);
      const socket = request.raw.socket;
      if (terminal.params.kind === 'reset') socket.resetAndDestroy();
      else socket.destroy();
      reply.hijack();
      return;
    }

    steer.dribble = fire(['dribble']);
    if (steer.route === 'batchfile') steer.truncate = fire(['truncate-download']);
  }

  /**
   * Applies the body faults, then journals the request before the client can have the whole
   * response: at once for a body sent in one piece, or just before the last chunk of a streamed
   * one. (Journaling when the response has finished would let a client that already holds every
   * byte read the journal, or verify it, before its own request is in it.)
   */
  function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void): void {
    const steer = request.steer!;
    if (!steer.pendingDomain && !steer.truncate && !steer.dribble) return done(null, journalBeforeLastByte(request, reply, payload));
    if (steer.pendingDomain && reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      registerPreferred(request, steer, payload);
    }
    let body = payload as unknown;
    if (steer.truncate?.params.kind === 'truncate-download' && body instanceof Readable) {
      const total = Number(reply.getHeader('content-length'));
      body = cutAfter(body, truncatedLength(total, steer.truncate.params));
    }
    if (steer.dribble?.params.kind === 'dribble') {
      if (typeof body === 'string' || Buffer.isBuffer(body)) reply.header('content-length', Buffer.byteLength(body));
      const { chunkBytes, intervalMs } = steer.dribble.params;
      body = Readable.from(dribble(asChunks(body), chunkBytes, intervalMs));
    }
    done(null, journalBeforeLastByte(request, reply, body));
  }

  function journalBeforeLastByte(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
    // A download cut off by a fault never sends its last byte: journal it now, and leave its first
    // bytes to go out as they come (the client must see the 200 and part of the body).
    if (!(payload instanceof Readable) || request.steer!.truncate) {
      record(request, reply, reply.statusCode);
      return payload;
    }
    return recordBeforeLastChunk(payload, () => record(request, reply, reply.statusCode));
  }

  /** Journals a request once (later calls do nothing). */

  /** A Prefer domain fault armed for a call that did not succeed is withdrawn: it would never fire. */
  function disarm(steer: Steer): void {
    if (steer.armed === null) return;
    faults.remove(steer.armed);
    steer.armed = null;
  }

  /** The Prefer domain fault of a CreateBatch, bound to the batch it created. */
  function registerPreferred(request: FastifyRequest, steer: Steer, payload: string): void {
    let id: number;
    try {
      id = Number((JSON.parse(payload) as { id?: unknown }).id);
    } catch {
      return;
    }
    if (!Number.isSafeInteger(id) || id < 1) return;
    try {
      faults.add({ ...steer.pendingDomain!, tenant: request.tenant, batchId: id });
    } catch (err) {
      // Only a race with another request can fill the tenant's limit since the preHandler checked it.
      request.log.warn({ err: (err as Error).message }, 'Prefer fault not registered');
    }
  }

  function record(request: FastifyRequest, reply: FastifyReply, status: number): void {
    const steer = request.steer!;
    if (steer.journaled) return;
    steer.journaled = true;
    const metered = steer.meter?.result();
    journal.record({
      tenant: request.tenant || 'anonymous', // '' until auth has named one (a 401)
      method: request.method,
      path: redactUrl(request.url), // the journal is readable by tenants: no credentials in it
      route: steer.route,
      batchId: steer.batchId,
      headers: request.headers,
      bodyBytes: metered ? metered.bodyBytes : Number(request.headers['content-length'] ?? 0) || 0,
      bodySha256: metered ? metered.bodySha256 : null,
      status,
      latencyMs: Math.round(reply.elapsedTime),
      fault: steer.labels.length > 0 ? steer.labels.join(', ') : null,
    });
  }

}

/**
 * `source` with its last chunk held back until `record` has run: the source's end is known only
 * after its last chunk, so each chunk is passed on when the next one arrives. A source that fails,
 * or a client that goes away, records too (what was sent by then is what the client got), and
 * destroys both streams (a download's file handle included).
 */
function recordBeforeLastChunk(source: Readable, record: () => void): Readable {
  let held: Buffer | undefined;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const previous = held;
      held = chunk;
      done(null, previous);
    },
    flush(done) {
      record();
      done(null, held);
    },
  });
  pipeline(source, out, () => record());
  return out;
}

/** AcceptBatch's batch id from the query or body (the path id is steer.batchId); null if none or unclear. */
function acceptIdOf(request: FastifyRequest): number | null {
  try {
    return acceptBatchId(request as FastifyRequest<{ Params: { batchId?: string }; Querystring: { batchId?: string } }>);
  } catch {
    return null; // the route answers 400 for it
  }
}

/** Swaps a streamed request body for one that counts and hashes the bytes as they pass. */
function meterBody(request: FastifyRequest, steer: Steer): void {
  const meter = (steer.meter = new BodyMeter());
  const counted = new PassThrough();
  const source = request.body as Readable;
  source.on('error', (e) => counted.destroy(e));
  source
    .pipe(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          meter.update(chunk);
          done(null, chunk);
        },
      }),
    )
    .pipe(counted);
  request.body = counted;
}

/** A payload of any kind Fastify sends, as an async iterable of Buffers. */
async function* asChunks(payload: unknown): AsyncGenerator<Buffer> {
  if (payload === null || payload === undefined) return;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    yield Buffer.from(payload);
    return;
  }
  for await (const chunk of payload as AsyncIterable<Buffer | string>) yield Buffer.from(chunk);
}

/** The first `limit` bytes of a stream, then an error: the client sees the connection cut midway. */
function cutAfter(source: Readable, limit: number): Readable {
  let sent = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const room = limit - sent;
      if (room <= 0) return done();
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      sent += part.length;
      this.push(part);
      if (sent >= limit) {
        source.unpipe(out);
        source.destroy();
        setImmediate(() => out.destroy(new Error('download cut off by an injected fault')));
      }
      done();
    },
  });
  return source.pipe(out);
}

