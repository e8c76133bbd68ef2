import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, type ErrorExtras, type ExtrasArg, isDomainError, type ProblemMembers } from '../domain/errors.js';
import { REFUSAL_CODES, type ErrorBodyShape, type VendorProfile } from '../contract/vendor-profile.js';
import { redactText, redactUrl } from './redact-url.js';
import { closeAfterRefusal } from './slow-clients.js';
import { installAspNetRouting } from './aspnet-routing.js';

/**
 * The one table from error codes to HTTP, and the one handler that writes RFC 9457
 * `application/problem+json` bodies (the shape ASP.NET Core produces: type, title, status, detail,
 * instance, traceId). Every error the simulator answers passes through `sendProblem`.
 */
export type ProblemCode = ErrorCode | 'route_not_found' | 'method_not_allowed' | 'internal';

/** The members each code's problem body carries (the domain's codes, and the three only http has). */
export type ProblemExtras = ErrorExtras & {
  route_not_found: Record<never, never>;
  method_not_allowed: Pick<ProblemMembers, 'allow'>;
  internal: Record<never, never>;
};
/** Whatever members a problem body may carry, for code that passes them on without knowing the code. */
type AnyExtras = Partial<ProblemMembers>;

export const PROBLEMS: Record<ProblemCode, { status: number; title: string }> = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  package_invalid: { status: 400, title: 'The uploaded package is not acceptable' },
  unauthorized: { status: 401, title: 'API key missing or not accepted' },
  batch_not_found: { status: 404, title: 'Batch not found' },
  fault_not_found: { status: 404, title: 'Fault not found' },
  process_not_found: { status: 404, title: 'Process not found' },
  route_not_found: { status: 404, title: 'No such endpoint' },
  method_not_allowed: { status: 405, title: 'Method not allowed for this endpoint' },
  wrong_state: { status: 409, title: 'The batch is not in a state that allows this call' },
  request_timeout: { status: 408, title: 'The request did not arrive in time' },
  package_too_large: { status: 413, title: 'The uploaded package is too large' },
  body_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  too_many_uploads: { status: 429, title: 'Too many uploads in flight for this API key' },
  too_many_faults: { status: 429, title: 'Too many active faults' },
  too_many_batches: { status: 429, title: 'Too many batches for this API key' },
  internal: { status: 500, title: 'Internal error in the simulator' },
  not_implemented: { status: 501, title: 'Not implemented by the simulator' },
  unavailable: { status: 503, title: 'The simulator cannot serve this now' },
  storage_full: { status: 507, title: 'Storage limit of this API key reached' },
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemType = (code: ProblemCode): string => `urn:seal-simulator:problem:${code.replaceAll('_', '-')}`;

export function problemBody(code: ProblemCode, detail: string, request: FastifyRequest, extra: AnyExtras = {}): Record<string, unknown> {
  const { status, title } = PROBLEMS[code];
  return { type: problemType(code), title, status, detail, ...whereFrom(request), ...extra };
}

/** The members every problem body ends with: which request it answers (credentials redacted) and its log id. */
const whereFrom = (request: FastifyRequest) => ({ instance: redactUrl(request.url), traceId: request.id });

/**
 * A problem answer whose status and members a test chose (an injected `status` fault): written
 * like every other problem (problem+json, `instance` and `traceId` added), but not restyled by a
 * vendor profile, since the test asked for exactly this answer.
 */
export function sendInjectedProblem(
  reply: FastifyReply,
  problem: { status: number; title: string; detail: string } & Record<string, unknown>,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(problem.status)
    .headers(headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...problem, ...whereFrom(reply.request) });
}

/** Writes the problem answer for `code`, with exactly the members that code carries. */
export function sendProblem<C extends ProblemCode>(reply: FastifyReply, code: C, detail: string, ...[extra]: ExtrasArg<ProblemExtras[C]>): FastifyReply {
  return writeProblem(reply, code, detail, extra ?? {});
}

/** The one writer of problem answers: the profile's vendor style on vendor paths, else problem+json. */
function writeProblem(reply: FastifyReply, code: ProblemCode, detail: string, extra: AnyExtras): FastifyReply {
  const style = (reply.server as { [VENDOR_STYLE]?: VendorErrorStyle })[VENDOR_STYLE];
  if (style && isVendorPath(reply.request.url)) return style.send(reply, code, detail, extra);
  const body = problemBody(code, detail, reply.request, extra);
  return reply.code(PROBLEMS[code].status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/**
 * How refusals of the vendor routes look under a vendor profile (SEAL_SIM_PROFILE): the HTTP
 * status the real service was observed to answer for each kind of refusal, and its error body
 * shape. The simulator's own routes (/_simulator, the explorer) keep problem+json.
 */
interface VendorErrorStyle {
  send(reply: FastifyReply, code: ProblemCode, detail: string, extra: AnyExtras): FastifyReply;
}
const VENDOR_STYLE = Symbol('vendorErrorStyle');
const isVendorPath = (url: string) => url.length > 4 && url.slice(0, 5).toLowerCase() === '/api/';

function vendorErrorStyle(profile: VendorProfile): VendorErrorStyle | null {
  const moved = REFUSAL_CODES.filter((c) => profile.refusals[c] !== PROBLEMS[c].status);
  if (moved.length === 0 && profile.errorBody.shape === 'problem+json') return null; // the default: nothing to change
  const statusOf = (code: ProblemCode) =>
    (REFUSAL_CODES as readonly string[]).includes(code) ? profile.refusals[code as (typeof REFUSAL_CODES)[number]] : PROBLEMS[code].status;
  const shape: ErrorBodyShape = profile.errorBody;
  return {
    send(reply, code, detail, extra) {
      const status = statusOf(code);
      const problem: Record<string, unknown> = { ...problemBody(code, detail, reply.request, extra), status };
      reply.code(status);
      switch (shape.shape) {
        case 'problem+json':
          return reply.type(PROBLEM_CONTENT_TYPE).send(problem);
        case 'empty':
          return reply.removeHeader('content-type').send();
        case 'text':
          return reply.type(shape.contentType).send(detail);
        case 'json': {
          const body = Object.fromEntries(Object.entries(shape.fields).map(([name, member]) => [name, problem[member]]));
          // Serialised here: the route's response schema describes the problem shape, not this one.
          return reply.type(shape.contentType).send(JSON.stringify(body));
        }
      }
    },
  };
}

/**
 * The content types a route reads, from the request body its OpenAPI description declares (the one
 * place that fact lives): for a 415 that names what to send instead.
 */
export function acceptedContentTypes(request: FastifyRequest): string[] {
  const schema = request.routeOptions?.schema as { body?: { content?: Record<string, unknown> } } | undefined;
  const declared = Object.keys(schema?.body?.content ?? {});
  if (declared.length > 0) return declared;
  return schema?.body ? ['application/json'] : [];
}

/** A 415's detail: what was sent, and what this endpoint reads. */
export function unsupportedMediaTypeDetail(request: FastifyRequest): string {
  const sent = request.headers['content-type'];
  const accepted = acceptedContentTypes(request);
  const what = sent ? `Content-Type ${JSON.stringify(sent)} is not one this endpoint reads.` : 'This request has a body but no Content-Type.';
  return accepted.length > 0 ? `${what} Send one of: ${accepted.join(', ')}.` : `${what} This endpoint takes no request body.`;
}

/** Fastify's own errors (bad JSON, body limits, content types) in the integrator's terms. */
function fromFastifyError(
  err: FastifyError,
  request: FastifyRequest,
): { code: 'invalid_request' | 'unsupported_media_type' | 'body_too_large'; detail: string } | null {
  if (err.validation) {
    const where = err.validationContext ?? 'request';
    const parts = err.validation.map((v) => {
      const field = v.instancePath ? v.instancePath.slice(1).replaceAll('/', '.') : ((v.params as { missingProperty?: string })?.missingProperty ?? '');
      return `${where}${field ? ` "${field}"` : ''} ${v.message ?? 'is invalid'}`;
    });
    return { code: 'invalid_request', detail: `${parts.join('; ')}.` };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', detail: unsupportedMediaTypeDetail(request) };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // Not the package (the upload's intake refuses that itself, with package_too_large).
      return { code: 'body_too_large', detail: 'The request body is larger than this endpoint accepts.' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'invalid_request', detail: `${err.message}.` };
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return { code: 'invalid_request', detail: err.message };
  }
  return null;
}

const CLIENT_GONE_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The client hung up mid-request (e.g. mid-upload): its request body failed because its socket went. */
function clientWentAway(err: FastifyError, request: FastifyRequest): boolean {
  if (isDomainError(err)) return false;
  const gone = request.raw.destroyed || request.raw.socket?.destroyed === true || (request.raw as { aborted?: boolean }).aborted === true;
  return gone && (CLIENT_GONE_CODES.has(String(err.code)) || err.message === 'aborted');
}

/**
 * Installs the error and not-found handlers on the root instance. Call before any route: the
 * not-found handler answers 405 for a known path asked with another method (./aspnet-routing.ts
 * records the routes as they are added).
 */
export function installProblemHandlers(app: FastifyInstance, profile?: VendorProfile): void {
  const routing = installAspNetRouting(app);
  const style = profile ? vendorErrorStyle(profile) : null;
  if (style) {
    // Fastify's plugin instances are made with Object.create(parent), so every route's
    // `reply.server` finds the root's style through its prototype chain.
    (app as unknown as Record<symbol, VendorErrorStyle>)[VENDOR_STYLE] = style;
  }
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (clientWentAway(err, request)) {
      // Not a server fault: one line at info, no stack. The answer below goes nowhere.
      request.log.info({ code: err.code ?? null, method: request.method }, 'client closed the connection before the request was complete');
      return sendProblem(reply, 'invalid_request', 'The connection was closed before the request was complete.');
    }
    if (isDomainError(err)) {
      const { status } = PROBLEMS[err.code];
      if (status === 413)
        reply.header('connection', 'close'); // do not read the rest of a huge body
      else closeAfterRefusal(request, reply, status);
      request.log.info({ code: err.code, status }, err.detail);
      return writeProblem(reply, err.code, err.detail, err.extra);
    }
    const known = fromFastifyError(err, request);
    if (known) {
      request.log.info({ code: known.code, fastifyCode: err.code }, known.detail);
      return sendProblem(reply, known.code, known.detail);
    }
    // The client went away mid-request (an upload cut off, or its connection closed by a
    // shutdown): nobody is left to answer, and it is not the simulator's failure.
    if (request.raw.destroyed && (err as { code?: unknown }).code === 'ECONNRESET') {
      request.log.info({ err: err.message }, 'the connection closed before the request was complete');
      return reply.send();
    }
    // Unexpected: log everything, tell the caller nothing internal.
    request.log.error({ err }, 'unexpected error');
    return sendProblem(reply, 'internal', `The simulator failed unexpectedly; the log has the details under traceId ${request.id}.`);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = routing.allowedMethods(path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, 'method_not_allowed', `${path} does not take ${request.method}; it takes ${allowed.join(', ')} (see /docs).`, {
        allow: allowed,
      });
    }
    return sendProblem(
      reply,
      'route_not_found',
      `${request.method} ${path} is not an endpoint of the SEAL API or the simulator. The batch methods live under /api/ (see /docs).`,
    );
  });
}

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a URL with a malformed
 * percent-escape such as `/api/upload/%`, FST_ERR_BAD_URL) would otherwise be answered with
 * Fastify's own JSON, not a problem document.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ fastifyCode: err.code }, redactText(err.message));
  sendProblem(reply, 'invalid_request', `${err.message.replace(/\.?$/, '.')} Percent-encode the path (e.g. encodeURIComponent).`);
}
