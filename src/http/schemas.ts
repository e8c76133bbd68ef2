import { packageInvalidReasons, packageTooLargeReasons } from '../archive/rejections.js';
import type { TInteger, TOptional, TSchema, TUnsafe } from '@sinclair/typebox';
import { Type } from '../domain/json-schema.js';
import { documentOrder } from '../contract/json-schema.js';
import { PROBLEM_MEMBERS } from '../domain/errors.js';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, type ProblemCode, problemType } from './problem.js';

/**
 * JSON Schemas for the routes: one source for request validation, response serialisation and the
 * OpenAPI document (src/http/openapi.ts). Response schemas depend on the JSON style (vendor strings
 * vs typed) and the status table, so the document describes exactly what this configuration sends.
 */

// ---------------------------------------------------------------------------------------------
// OpenAPI vocabulary shared by every route (see the note at the top of src/http/openapi.ts)
// ---------------------------------------------------------------------------------------------

/** Operation tags: what the real service has, and what only the simulator has. */
export const TAGS = {
  vendor: 'SEAL batch API (vendor)',
  simulator: 'Simulator',
  control: 'Simulator control',
} as const;

/** Names of the security schemes declared in components.securitySchemes. */
export const SECURITY_SCHEMES = {
  apiKey: 'apiKey',
  basic: 'basicAuth',
  /** The admin token (SEAL_SIM_ADMIN_TOKEN) on control routes, in each way the server takes it. */
  adminBearer: 'adminToken',
  adminHeader: 'adminTokenHeader',
  adminQuery: 'adminTokenQuery',
  adminCookie: 'adminTokenCookie',
} as const;

/** `security` of a vendor route: the API-KEY header. */
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ [SECURITY_SCHEMES.apiKey]: [] }];
/** `security` of the RFC 3161 TSA route: the API-KEY header or HTTP Basic (docs/vendor-contract.md#authentication). */
export const API_KEY_OR_BASIC_SECURITY: Record<string, string[]>[] = [{ [SECURITY_SCHEMES.apiKey]: [] }, { [SECURITY_SCHEMES.basic]: [] }];
/** `security` of a simulator route: none. */
export const NO_SECURITY: Record<string, string[]>[] = [];
/**
 * The tag and security of a simulator route. A fresh object for each route: the YAML document
 * writes a value shared between operations once and aliases it after.
 */
export const simulatorGroup = (tag: typeof TAGS.simulator | typeof TAGS.control) => ({ tags: [tag], security: NO_SECURITY });

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * Path ids. The example is 1: the first batch (and process) of a fresh simulator, so an example
 * request sent as is works (test/integration/openapi-examples.test.ts sends each one).
 */
export const idParam = <N extends string>(name: N, description: string, example = 1) =>
  documentOrder(Type.Object({ [name]: Type.Integer({ minimum: 1, maximum: MAX_ID, description, examples: [example] }) } as Record<N, TInteger>));

/**
 * The Problem schema (#/components/schemas/Problem): the RFC 9457 members, then the members a code
 * may add, from their one schema in src/domain/errors.ts (which types each code's extras).
 */
export const problemSchema: TSchema = (() => {
  const optional = Object.fromEntries(Object.entries(PROBLEM_MEMBERS).map(([name, schema]) => [name, Type.Optional(schema)])) as {
    [K in keyof typeof PROBLEM_MEMBERS]: TOptional<(typeof PROBLEM_MEMBERS)[K]>;
  };
  const schema = Type.Object(
    {
      type: Type.String({ description: 'A stable URN per kind of error', examples: ['urn:seal-simulator:problem:wrong-state'] }),
      title: Type.String({ description: 'The kind of error, for humans', examples: ['The batch is not in a state that allows this call'] }),
      status: Type.Integer({ description: 'The HTTP status code', examples: [409] }),
      detail: Type.String({
        description: 'What went wrong with this request and what to do about it',
        examples: ['Batch 2123 is NEW and cannot be accepted. Upload the ZIP first (POST /api/upload/2123).'],
      }),
      instance: Type.Optional(Type.String({ description: 'The request path', examples: ['/api/AcceptBatch/2123'] })),
      traceId: Type.Optional(Type.String({ description: 'The request id, as in the log', examples: ['req-1'] })),
      ...optional,
      reason: Type.Optional({
        ...PROBLEM_MEMBERS.reason,
        description: `${PROBLEM_MEMBERS.reason.description}. 400: ${packageInvalidReasons.join(', ')}. 413: ${packageTooLargeReasons.join(', ')}.`,
      }),
    },
    {
      $id: 'Problem',
      description:
        "RFC 9457 problem details, the shape ASP.NET Core writes. The vendor documents no error bodies, so this shape is the simulator's choice (see docs/vendor-contract.md#errors). `detail` says what to fix; `traceId` finds the request in the simulator's log.",
    },
  );
  return documentOrder({ ...schema, additionalProperties: true }, ['$id', 'type', 'description', 'required', 'properties', 'additionalProperties']);
})();

/** A realistic problem body for the document's examples. */
export const problemExample = (code: ProblemCode, detail: string) => ({
  type: problemType(code),
  title: PROBLEMS[code].title,
  status: PROBLEMS[code].status,
  detail,
  traceId: 'req-1',
});

/**
 * A problem response (`application/problem+json`, the shared `Problem` schema). `code` is the
 * error the route answers with this status; the document's example shows its type and title.
 *
 * Its static type is `never`: a handler never sends a problem body itself (it throws a
 * DomainError and the one problem handler, ./problem.ts, writes the body), so the type provider
 * holds what a handler returns to the route's success schemas alone, and a presenter that drifts
 * from them fails to compile.
 */
export const problem = (description: string, code: ProblemCode) =>
  ({
    description,
    content: {
      [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' }, example: problemExample(code, description) },
    },
  }) as unknown as ProblemResponse;
type ProblemResponse = {
  description: string;
  content: Record<string, { schema: TUnsafe<never>; example: ReturnType<typeof problemExample> }>;
};

/** Any JSON object: a part whose members a route does not publish one by one. */
export const ANY_OBJECT = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });

/** A 204: no body, so the handler sends nothing (`reply.code(204).send()`). */
export const noContent = (description: string) => Type.Unsafe<undefined>({ type: 'null', description });

/** The 404 of a vendor route that names a process (CreateBatch, the TSA routes). */
export const processNotFound = () => problem('No process with this id, or one this API key may not use (SEAL_SIM_KEYS_FILE)', 'process_not_found');

/** The masked 500 every route may answer. */
export const unexpectedProblem = () =>
  problem('The simulator failed unexpectedly. Nothing internal is shown; the log has the details under the `traceId`.', 'internal');

/** The result package download: raw bytes. */
export const zipDownload = {
  description: 'The signed result package (a flat ZIP), as raw bytes',
  headers: {
    'content-disposition': {
      type: 'string',
      description: 'attachment; filename="batch-{batchId}-signed.zip"',
      examples: ['attachment; filename="batch-2123-signed.zip"'],
    },
  },
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
};
