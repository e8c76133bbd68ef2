import { PassThrough, pipeline, Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { dribble, statusHeaders, statusProblem, truncatedLength } from '../faults/effects.js';
import type { FaultRegistry } from '../faults/fault-registry.js';
import type { FaultSpec, FiredParamsOf, KindActing } from '../faults/kinds.js';
import { type Fired, planRequest, type RequestPlan } from '../faults/request-plan.js';
import { type VendorRoute, vendorRouteOf } from '../faults/vendor-routes.js';
import { BodyMeter } from '../journal/journal.js';
import type { Journal } from '../journal/journal.js';
import { createdBatchOf } from './created-batch.js';
import { sendInjectedProblem } from './problem.js';
import { redactUrl } from './redact-url.js';
import { acceptBatchId } from './vendor-readers.js';

/**
 * Steering of vendor-API requests: per-request faults (from the fault registry or a `Prefer`
 * header) and the request journal. Everything here is route hooks that a root `onRoute` hook adds
 * to each vendor route (/api/…, /tsa/…) as it is registered, bound to the route's name; the routes
 * themselves know nothing of it, and no other route pays for it.
 *
 * What fires on a request is decided by the fault planner (src/faults/request-plan.ts) before the
 * handler runs; the hooks here only apply its plan. Order within a request: auth (route plugin,
 * onRequest) → preHandler here: plan, bind a `Prefer` domain fault to the batch, wait out the
 * delay, then answer in the handler's place (status / reset / empty) or let the handler run →
 * onSend (body faults: cut or slow the body; journal, before the last byte leaves; also for
 * requests refused before the preHandler, e.g. 401 or 400). A reset or empty reply never reaches
 * onSend, so it is journaled at once.
 */
interface Steer {
  route: VendorRoute;
  batchId: number | null;
  labels: string[];
  meter: BodyMeter | null;
  /** The body faults the plan chose, applied in onSend. */
  body: readonly Fired<KindActing<'body'>>[];
  /**
   * A domain fault asked for with Prefer on CreateBatch: registered for the batch the call
   * created, once it has succeeded (a refused call registers nothing).
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

/** Shared by every request without a body fault: the common case allocates nothing for it. */
const NO_BODY_FAULTS: readonly Fired<KindActing<'body'>>[] = Object.freeze([]);

function newSteer(route: VendorRoute, request: FastifyRequest): Steer {
  return { route, batchId: batchIdOf(request), labels: [], meter: null, body: NO_BODY_FAULTS, pendingDomain: null, armed: null, journaled: false };
}

type Hook = (...args: never[]) => unknown;
/** A route's hooks of one kind plus ours, last; always a new array (the HEAD twin shares options). */
const withHook = (existing: Hook | Hook[] | undefined, hook: Hook): Hook[] => [
  ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
  hook,
];

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
      let plan: RequestPlan;
      try {
        plan = planRequest(
          { route, tenant: request.tenant, batchId: steer.batchId, prefer: request.headers.prefer, acceptedBatchId: () => acceptIdOf(request) },
          faults,
        );
        steer.labels = plan.labels;
        bindDomainFault(steer, plan);
      } catch (err) {
        return done(err as Error);
      }
      if (plan.latencyMs === null) return applyPlan(request, reply, steer, plan, done);
      sleep(plan.latencyMs).then(() => applyPlan(request, reply, steer, plan, done), done);
    };
    options.preHandler = withHook(options.preHandler as Hook | Hook[] | undefined, preHandler) as typeof options.preHandler;
    options.onSend = withHook(
      options.onSend as Hook | Hook[] | undefined,
      (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void) => {
        request.steer ??= newSteer(route, request); // refused before the preHandler (401, 400)
        if (reply.statusCode < 200 || reply.statusCode >= 300) disarm(request.steer);
        onSend(request, reply, payload, done);
      },
    ) as typeof options.onSend;
    // A safety net: a response that did not pass the onSend above (a hook before it failed) is
    // journaled when it has finished, and a Prefer fault armed for it withdrawn.
    options.onResponse = withHook(
      options.onResponse as Hook | Hook[] | undefined,
      (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
        request.steer ??= newSteer(route, request);
        if (reply.statusCode < 200 || reply.statusCode >= 300) disarm(request.steer);
        record(request, reply, reply.statusCode);
        done();
      },
    ) as typeof options.onResponse;
  });

  /**
   * A Prefer domain fault for a named batch is armed before the handler runs (the worker may start
   * on an accepted batch at once), and withdrawn in onSend unless the call succeeded on a real
   * batch of this tenant; one for CreateBatch waits for the batch the call creates.
   */
  function bindDomainFault(steer: Steer, plan: RequestPlan): void {
    const domain = plan.domain;
    if (!domain) return;
    if (domain.batchId === 'created') steer.pendingDomain = domain.spec;
    else steer.armed = faults.add(domain.spec).id;
  }

  /** Answers in the handler's place when the plan says so, else keeps the body faults for onSend. */
  function applyPlan(request: FastifyRequest, reply: FastifyReply, steer: Steer, plan: RequestPlan, done: HookHandlerDoneFunction): void {
    try {
      answerOrContinue(request, reply, steer, plan);
    } catch (err) {
      return done(err as Error);
    }
    done();
  }

  function answerOrContinue(request: FastifyRequest, reply: FastifyReply, steer: Steer, plan: RequestPlan): void {
    if (plan.answer) {
      const { params, label } = plan.answer;
      // Keyed by kind so that an answer kind added to the table fails to compile until it is applied here.
      const answers: { [K in KindActing<'answer'>]: (p: FiredParamsOf<K>) => void } = {
        status: (p) => {
          sendInjectedProblem(reply, statusProblem(p, label), { ...statusHeaders(p), [FAULT_HEADER]: label });
        },
        reset: () => closeWithoutAnswer(request, reply, steer, (socket) => socket.resetAndDestroy()),
        empty: () => closeWithoutAnswer(request, reply, steer, (socket) => socket.destroy()),
      };
      (answers[params.kind] as (p: typeof params) => void)(params);
    } else steer.body = plan.body;
  }

  function closeWithoutAnswer(request: FastifyRequest, reply: FastifyReply, steer: Steer, close: (socket: FastifyRequest['raw']['socket']) => void): void {
    disarm(steer);
    record(request, reply, 0);
    close(request.raw.socket);
    reply.hijack();
  }

  /**
   * Applies the body faults, then journals the request before the client can have the whole
   * response: at once for a body sent in one piece, or just before the last chunk of a streamed
   * one. (Journaling when the response has finished would let a client that already holds every
   * byte read the journal, or verify it, before its own request is in it.)
   */
  function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void): void {
    const steer = request.steer!;
    if (!steer.pendingDomain && steer.body.length === 0) return done(null, journalBeforeLastByte(request, reply, payload));
    if (steer.pendingDomain && reply.statusCode >= 200 && reply.statusCode < 300) registerPreferred(request, steer);
    let body = payload;
    for (const kind of BODY_ORDER) {
      const fired = steer.body.find((f) => f.params.kind === kind);
      if (fired) body = (BODY_EFFECTS[kind].apply as (b: unknown, r: FastifyReply, p: unknown) => unknown)(body, reply, fired.params);
    }
    done(null, journalBeforeLastByte(request, reply, body));
  }

  function journalBeforeLastByte(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
    // A download cut off by a fault never sends its last byte: journal it now, and leave its first
    // bytes to go out as they come (the client must see the 200 and part of the body).
    if (!(payload instanceof Readable) || request.steer!.body.some((f) => BODY_EFFECTS[f.params.kind].endsEarly)) {
      record(request, reply, reply.statusCode);
      return payload;
    }
    return recordBeforeLastChunk(payload, () => record(request, reply, reply.statusCode));
  }

  /** A Prefer domain fault armed for a call that did not succeed is withdrawn: it would never fire. */
  function disarm(steer: Steer): void {
    if (steer.armed === null) return;
    faults.remove(steer.armed);
    steer.armed = null;
  }

  /** The Prefer domain fault of a CreateBatch, bound to the batch it created. */
  function registerPreferred(request: FastifyRequest, steer: Steer): void {
    const id = createdBatchOf(request);
    if (id === null) return;
    try {
      faults.add({ ...steer.pendingDomain!, tenant: request.tenant, batchId: id });
    } catch (err) {
      // Only a race with another request can fill the tenant's limit since the planner checked it.
      request.log.warn({ err: (err as Error).message }, 'Prefer fault not registered');
    }
  }

  /** Journals a request once (later calls do nothing). */
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
 * How each body fault reshapes the response payload, in the order they are applied (a cut first,
 * then the slow sending of what is left). Keyed by kind so that a body kind added to the table
 * fails to compile until it is applied here. `endsEarly`: the body never sends its last byte, so
 * the request is journaled before it starts.
 */
const BODY_EFFECTS: { [K in KindActing<'body'>]: { endsEarly: boolean; apply(payload: unknown, reply: FastifyReply, p: FiredParamsOf<K>): unknown } } = {
  'truncate-download': {
    endsEarly: true,
    apply: (payload, reply, p) => (payload instanceof Readable ? cutAfter(payload, truncatedLength(Number(reply.getHeader('content-length')), p)) : payload),
  },
  dribble: {
    endsEarly: false,
    apply(payload, reply, p) {
      if (typeof payload === 'string' || Buffer.isBuffer(payload)) reply.header('content-length', Buffer.byteLength(payload));
      return Readable.from(dribble(asChunks(payload), p.chunkBytes, p.intervalMs));
    },
  },
};
const BODY_ORDER = Object.keys(BODY_EFFECTS) as KindActing<'body'>[];

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
