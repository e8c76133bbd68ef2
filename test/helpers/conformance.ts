import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { FAULT_HEADER } from '../../src/http/steering.js';

/**
 * Holds every response of the integration tests to the OpenAPI document of the app that sent it:
 * the status code must be declared for the path and method, the content type must be one the
 * response declares, and a JSON body must match its schema (raw bytes: the content type only).
 * The document is fetched from the app under test (GET /openapi.json), so an app started with
 * `json: 'typed'` or `statusTable: 'B'` is checked against the typed / table-B schemas.
 *
 * OpenAPI 3.1 schemas are JSON Schema 2020-12: they are compiled with ajv's 2020 build, with
 * `#/components/schemas/…` references rewritten to `$defs` carried along with each schema.
 */

type Json = Record<string, any>;

export interface ObservedResponse {
  method: string;
  /** The request URL as sent, query included. */
  url: string;
  statusCode: number;
  contentType: string | undefined;
  body: string;
  /** The status was chosen by an injected fault (the response carries FAULT_HEADER). */
  injected?: boolean;
}

export class ConformanceError extends Error {
  override name = 'ConformanceError';
}

/** Requests the document does not describe and need not: the explorer's page and assets. */
const UNDOCUMENTED = [/^\/docs(\/|$)/i];

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface Route {
  template: string;
  pattern: RegExp;
  params: number;
  item: Json;
}

/** A compiled view of one OpenAPI document. */
export class ResponseChecker {
  private readonly routes: Route[];
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly defs: Json;

  constructor(readonly document: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.defs = rewriteRefs(document.components?.schemas ?? {});
    // Fastify matches paths case-insensitively and ignores a trailing slash (routerOptions);
    // a static segment beats a parameter, so templates with fewer parameters are tried first.
    this.routes = Object.entries(document.paths ?? {})
      .map(([template, item]) => {
        const segments = template.split('/').map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : escapeRegExp(s)));
        return { template, item: item as Json, params: (template.match(/\{/g) ?? []).length, pattern: new RegExp(`^${segments.join('/')}/?$`, 'i') };
      })
      .sort((a, b) => a.params - b.params);
  }

  /** Every way the response departs from the document; empty when it conforms. */
  check(res: ObservedResponse): string[] {
    const path = decodeURI(res.url.split('?')[0]!);
    if (UNDOCUMENTED.some((re) => re.test(path))) return [];
    const method = res.method.toLowerCase();
    const route = this.routes.find((r) => r.pattern.test(path));
    const operation = route?.item[method === 'head' ? 'get' : method] as Json | undefined;
    if (!route || !operation) {
      // Not an operation of the document: only the not-found problem may answer it, or, for a
      // path the document has with another method, the 405 problem (as ASP.NET routing answers).
      const allowed = route ? [404, 405] : [404];
      if (!allowed.includes(res.statusCode)) {
        return [`${res.method} ${path} is no operation of the document, yet it answered ${res.statusCode} (only a ${allowed.join(' or ')} problem is allowed)`];
      }
      return this.checkBody(res, 'application/problem+json', { $ref: '#/components/schemas/Problem' }, 'the not-found problem');
    }
    const where = `${method.toUpperCase()} ${route.template}`;
    const responses = (operation.responses ?? {}) as Json;
    const status = String(res.statusCode);
    // `default` is the vendor routes' answer to an injected fault; a real answer must have its own status.
    const declared = responses[status] ?? responses[`${status[0]}XX`] ?? (res.injected ? responses.default : undefined);
    if (!declared) {
      return [`${where} answered ${status}, which the document does not declare (declared: ${Object.keys(responses).join(', ')})`];
    }
    const content = declared.content as Json | undefined;
    if (!content || Object.keys(content).length === 0) {
      return res.body.length === 0 ? [] : [`${where} ${status} declares no body, yet one was sent`];
    }
    const type = essence(res.contentType);
    const mediaKey = Object.keys(content).find((k) => mediaMatches(k, type));
    if (!mediaKey) {
      return [`${where} ${status} answered content type ${JSON.stringify(res.contentType)}; the document declares ${Object.keys(content).join(', ')}`];
    }
    if (method === 'head') return [];
    return this.checkBody(res, mediaKey, content[mediaKey].schema, `${where} ${status} ${mediaKey}`);
  }

  private checkBody(res: ObservedResponse, mediaKey: string, schema: Json | undefined, where: string): string[] {
    const type = essence(res.contentType);
    if (!mediaMatches(mediaKey, type)) return [`${where}: content type ${JSON.stringify(res.contentType)} is not ${mediaKey}`];
    if (!isJson(mediaKey) || schema === undefined) return []; // raw bytes: the content type is the contract
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return [`${where}: the body is not JSON: ${res.body.slice(0, 200)}`];
    }
    const validate = this.validator(where, schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${where}: body${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    );
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile({ ...rewriteRefs(schema), $defs: this.defs });
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/** Throws a ConformanceError naming every mismatch (the test that sent the request fails). */
export function assertConforms(checker: ResponseChecker, res: ObservedResponse): void {
  const problems = checker.check(res);
  if (problems.length > 0) {
    throw new ConformanceError(
      `The response to ${res.method} ${res.url} (${res.statusCode}) does not match the OpenAPI document:\n  - ${problems.join('\n  - ')}\nBody: ${res.body.slice(0, 500)}\n` +
        "Fix the route or its schema (src/http/schemas.ts, the route's `response`), then `npm run openapi:write`.",
    );
  }
}

const byDocument = new Map<string, ResponseChecker>();
const byApp = new WeakMap<FastifyInstance, Promise<ResponseChecker>>();

/** The checker for the document this app serves (fetched once per app, compiled once per document). */
export function checkerFor(app: FastifyInstance): Promise<ResponseChecker> {
  let checker = byApp.get(app);
  if (!checker) {
    checker = app.inject({ method: 'GET', url: '/openapi.json' }).then((res) => {
      if (res.statusCode !== 200) throw new ConformanceError(`GET /openapi.json answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      let compiled = byDocument.get(res.body);
      if (!compiled) {
        compiled = new ResponseChecker(JSON.parse(res.body) as Json);
        byDocument.set(res.body, compiled);
      }
      return compiled;
    });
    byApp.set(app, checker);
  }
  return checker;
}

/** Checks an injected response against the app's own document; throws on a mismatch. */
export async function assertResponseConforms(app: FastifyInstance, res: LightMyRequestResponse): Promise<void> {
  // A status chosen by an injected fault is held to the operation's `default` (the problem body).
  const injected = res.headers[FAULT_HEADER] !== undefined;
  if (injected && (res.statusCode < 400 || res.body.length === 0)) return; // a cut or emptied answer has no body to check
  const checker = await checkerFor(app);
  const req = res.raw.req as { method?: string; url?: string };
  const contentType = res.headers['content-type'];
  assertConforms(checker, {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    statusCode: res.statusCode,
    injected,
    contentType: Array.isArray(contentType) ? contentType[0] : contentType === undefined ? undefined : String(contentType),
    body: res.body,
  });
}

const essence = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

const mediaMatches = (declared: string, actual: string): boolean => {
  const d = declared.toLowerCase();
  if (d === '*/*') return actual !== '';
  if (d.endsWith('/*')) return actual.startsWith(d.slice(0, -1));
  return d === actual;
};

const isJson = (mediaType: string): boolean => /^application\/(?:[\w.+-]+\+)?json$/i.test(mediaType);

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Deep copy with `#/components/schemas/X` → `#/$defs/X`. */
function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#\/components\/schemas\//, '#/$defs/') : rewriteRefs(v)]),
    ) as T;
  }
  return value;
}
