/**
 * What the OpenAPI document says about auth, statuses and order that no single route schema can
 * say for itself, applied to the whole document once @fastify/swagger has written it (called from
 * `finishDocument` in ./openapi.ts). Client generators read the document literally, so each rule
 * here states what the server enforces:
 *
 * - every control operation (tag "Simulator control") carries the control security (the admin
 *   token in each way the server takes it, the optional API-KEY that scopes the call, or nothing
 *   when no token is configured) and a 401 with its `WWW-Authenticate` challenge;
 * - every 401 declares the `WWW-Authenticate` header the server sends with it;
 * - every vendor operation declares the problem body as `default`: a test can make any vendor
 *   route answer any 4xx/5xx with a `status` fault, and that answer is still a problem document;
 * - every operation that reads a body declares 413 and 415 (too large; a type it does not read);
 * - a request body whose schema admits `null` is optional (the server takes the call without one)
 *   and the `null` is dropped from the schema (a body is never the JSON `null`);
 * - the vendor's operations come first, in the vendor's numbering (1. CreateBatch … 6.
 *   BatchDeleteCache), then the TSA, then the simulator's own.
 */
import { vendorChallenge } from './auth.js';
import { PROBLEM_CONTENT_TYPE, type ProblemCode } from './problem.js';
import { problemExample, SECURITY_SCHEMES, TAGS } from './schemas.js';
import { FAULT_HEADER } from './steering.js';

type Json = Record<string, unknown>;

/** The challenge of a refused control call (the admin token is a Bearer token). */
export const CONTROL_CHALLENGE = 'Bearer realm="seal-simulator control"';

/**
 * `security` of a control operation. Alternatives, any one of which the server takes: the admin
 * token (required when SEAL_SIM_ADMIN_TOKEN is set) as a Bearer token, an X-Admin-Token header, a
 * `?token=` query parameter or the board's cookie, each with or without the API-KEY that scopes
 * the call to one tenant; the API-KEY alone; or nothing (no token configured: then `?scope=all`
 * or the API-KEY says whose state the call is about).
 */
export const CONTROL_SECURITY: Record<string, string[]>[] = [
  { [SECURITY_SCHEMES.apiKey]: [] },
  { [SECURITY_SCHEMES.adminBearer]: [], [SECURITY_SCHEMES.apiKey]: [] },
  { [SECURITY_SCHEMES.adminBearer]: [] },
  { [SECURITY_SCHEMES.adminHeader]: [] },
  { [SECURITY_SCHEMES.adminQuery]: [] },
  { [SECURITY_SCHEMES.adminCookie]: [] },
  {},
];

/** The security schemes the document declares (components.securitySchemes). */
export const SECURITY_SCHEME_OBJECTS: Record<string, Json> = {
  [SECURITY_SCHEMES.apiKey]: {
    type: 'apiKey',
    in: 'header',
    name: 'API-KEY',
    description:
      'The vendor\'s API key header, on every vendor endpoint (refused with `WWW-Authenticate: APIKey realm="SEAL API", header="API-KEY"`). The simulator accepts any non-empty key unless it was started with a key list (SEAL_SIM_API_KEYS) or a keys file (SEAL_SIM_KEYS_FILE); each key is its own tenant, so a batch created with one key is 404 to every other. On control operations it is optional and scopes the call to that key\'s tenant.',
  },
  [SECURITY_SCHEMES.basic]: {
    type: 'http',
    scheme: 'basic',
    description:
      'HTTP Basic, which the vendor also accepts on its RFC 3161 timestamp endpoint: the password is the API key (or the user name, when the password is empty). Refused with a `Basic realm="SEAL API"` challenge first, so challenge-first clients (curl --anyauth, urllib, Java, .NET) answer it.',
  },
  [SECURITY_SCHEMES.adminBearer]: {
    type: 'http',
    scheme: 'bearer',
    description:
      'The admin token (SEAL_SIM_ADMIN_TOKEN) for the control API: required on every control operation when set, unused otherwise. Refused with `WWW-Authenticate: Bearer realm="seal-simulator control"`. Also accepted as the X-Admin-Token header, the `?token=` query parameter and the board\'s cookie (the schemes below).',
  },
  [SECURITY_SCHEMES.adminHeader]: { type: 'apiKey', in: 'header', name: 'X-Admin-Token', description: 'The admin token, as a header of its own.' },
  [SECURITY_SCHEMES.adminQuery]: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: 'The admin token in the query (`?token=`), for a browser; the simulator never logs it.',
  },
  [SECURITY_SCHEMES.adminCookie]: {
    type: 'apiKey',
    in: 'cookie',
    name: 'seal_sim_admin',
    description: 'Set by the board page when it is opened with `?token=`, so its polling never carries the token in a URL.',
  },
};

/**
 * A problem response, written after @fastify/swagger resolved references (so with the final $ref),
 * with an example of `code`; `default` stands for any code, so it has none.
 */
const problem = (description: string, code: ProblemCode | 'any'): Json => ({
  description,
  content: {
    [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' }, ...(code === 'any' ? {} : { example: problemExample(code, description) }) },
  },
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function operationsOf(item: Json): Json[] {
  return Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([, op]) => op as Json);
}

const hasTag = (op: Json, tag: string): boolean => Array.isArray(op.tags) && op.tags.includes(tag);

/** The header a 401 declares: the challenge that operation's refusal carries. */
function challengeHeader(op: Json): Json {
  const security = (op.security ?? []) as Record<string, string[]>[];
  const basic = security.some((s) => SECURITY_SCHEMES.basic in s);
  const control = hasTag(op, TAGS.control);
  const value = control ? CONTROL_CHALLENGE : vendorChallenge({ basic });
  return {
    'WWW-Authenticate': {
      description: 'The challenge (RFC 9110 §11.6.1): which credentials to send',
      schema: { type: 'string', examples: [value] },
    },
  };
}

/** The vendor's number of an operation ("3. Accept …" → 3); operations without one come after. */
function vendorNumber(item: Json): number {
  const numbers = operationsOf(item)
    .filter((op) => hasTag(op, TAGS.vendor))
    .map((op) => /^(\d+)\./.exec(String(op.summary ?? ''))?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
  return numbers.length > 0 ? Math.min(...numbers) : Number.MAX_SAFE_INTEGER;
}

const WILDCARD_NAMES: Record<string, string> = { '/_simulator/pki/ocsp/{*}': 'ocspRequest' };

export function finishContract(doc: Json): void {
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  // A Fastify wildcard (`/ocsp/*`) reaches the document as `{*}`, which no tool takes as a
  // parameter name: it is named after what it carries.
  for (const path of Object.keys(paths).filter((p) => p.includes('{*}'))) {
    const item = paths[path]!;
    const name = WILDCARD_NAMES[path] ?? 'rest';
    for (const op of operationsOf(item)) {
      for (const param of (op.parameters ?? []) as Json[]) if (param.name === '*') param.name = name;
    }
    delete paths[path];
    paths[path.replace('{*}', `{${name}}`)] = item;
  }
  for (const item of Object.values(paths)) {
    for (const op of operationsOf(item)) {
      const responses = (op.responses ?? {}) as Record<string, Json>;
      if (hasTag(op, TAGS.control)) {
        op.security = CONTROL_SECURITY;
        responses['401'] ??= problem(
          'The admin token (SEAL_SIM_ADMIN_TOKEN) is set and was not sent, or is wrong; or the API-KEY is not one of SEAL_SIM_API_KEYS',
          'unauthorized',
        );
      }
      if (responses['401']) responses['401'] = { ...responses['401'], headers: challengeHeader(op) };
      if (hasTag(op, TAGS.vendor)) {
        responses.default ??= {
          ...problem(
            `Any other status, answered only when a test injected it (a \`status\` fault from POST /_simulator/faults or a \`Prefer: fault=status…\` header); such answers carry the \`${FAULT_HEADER}\` header naming the fault`,
            'any',
          ),
          headers: { [FAULT_HEADER]: { description: 'The injected fault that chose this answer', schema: { type: 'string' } } },
        };
      }
      const body = op.requestBody as Json | undefined;
      if (body) {
        // Every route that reads a body can be sent one too large or of a type it does not read.
        responses['413'] ??= problem('The request body is larger than this endpoint reads (1 MiB for JSON bodies)', 'body_too_large');
        responses['415'] ??= problem('A Content-Type this endpoint does not read; the detail names the ones it does', 'unsupported_media_type');
      }
      op.responses = responses;
      for (const media of Object.values((body?.content ?? {}) as Record<string, Json>)) {
        const schema = media.schema as Json | undefined;
        if (body && Array.isArray(schema?.type) && schema.type.includes('null')) {
          body.required = false;
          const rest = schema.type.filter((t: unknown) => t !== 'null');
          schema.type = rest.length === 1 ? rest[0] : rest;
        }
      }
    }
  }
  const ordered = Object.entries(paths)
    .map(([path, item], i) => ({ path, item, i, vendor: operationsOf(item).some((op) => hasTag(op, TAGS.vendor)) }))
    .sort((a, b) => {
      if (a.vendor !== b.vendor) return a.vendor ? -1 : 1;
      if (!a.vendor) return a.i - b.i;
      // Within one number (3: AcceptBatch), the path form first: the simplest way to call it.
      return vendorNumber(a.item) - vendorNumber(b.item) || b.path.length - a.path.length || a.i - b.i;
    });
  doc.paths = Object.fromEntries(ordered.map(({ path, item }) => [path, item]));
}
