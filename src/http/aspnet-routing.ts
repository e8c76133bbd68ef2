import type { FastifyInstance, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';

/**
 * Two habits of ASP.NET Core routing and model binding that clients of the vendor rely on without
 * knowing it, kept here so the routes need not think about them:
 *
 * - **Known path, wrong method → 405 with `Allow`.** ASP.NET answers a path it knows, asked with a
 *   method it does not serve, with 405 and the methods it does serve; only an unknown path is 404.
 *   `allowedMethods(path)` answers those methods (empty for an unknown path) for the not-found
 *   handler in ./problem.ts.
 * - **Query parameter names are case-insensitive** (`?BatchId=`, `?batchid=` bind to `batchId`), as
 *   JSON and form bodies already are. Each route's query names (its querystring schema) are
 *   recorded; a preValidation hook renames a query key that matches one of them in another case
 *   before validation and the handler see it.
 */
export interface AspNetRouting {
  /** The methods some route serves at this concrete path (HEAD with GET), in a stable order. */
  allowedMethods(path: string): string[];
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface PathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/api/upload/:batchId` → a case-insensitive pattern (Fastify routes with caseSensitive: false, ignoreTrailingSlash). */
function patternOf(url: string): RegExp {
  const segments = url.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s === '*' ? '.*' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/').replace(/\/+$/, '')}/?$`, 'i');
}

/** Query names a route declares: its querystring schema's properties. */
function queryNamesOf(route: RouteOptions): string[] {
  const schema = route.schema as { querystring?: { properties?: Record<string, unknown> } } | undefined;
  return Object.keys(schema?.querystring?.properties ?? {});
}

export function installAspNetRouting(app: FastifyInstance): AspNetRouting {
  const paths = new Map<string, PathMethods>();

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const key = route.url.toLowerCase().replace(/\/+$/, '') || '/';
    let entry = paths.get(key);
    if (!entry) paths.set(key, (entry = { pattern: patternOf(route.url), methods: new Set() }));
    for (const m of methods) entry.methods.add(m.toUpperCase());
    if (entry.methods.has('GET')) entry.methods.add('HEAD');

    const names = queryNamesOf(route);
    if (names.length === 0) return;
    const canonical = new Map(names.map((n) => [n.toLowerCase(), n]));
    const hook = (request: FastifyRequest, _reply: unknown, done: HookHandlerDoneFunction) => {
      const query = request.query as Record<string, unknown> | undefined;
      if (query) {
        for (const key of Object.keys(query)) {
          const name = canonical.get(key.toLowerCase());
          if (name === undefined || name === key) continue;
          // The name as declared wins when both are sent (ASP.NET binds the first it finds; a
          // request sending both spellings is ambiguous either way, and AcceptBatch refuses two
          // different ids on its own).
          if (!(name in query)) query[name] = query[key];
          delete query[key];
        }
      }
      done();
    };
    const existing = route.preValidation;
    route.preValidation = [hook, ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing])] as typeof route.preValidation;
  });

  return {
    allowedMethods(path) {
      const found = new Set<string>();
      for (const { pattern, methods } of paths.values()) {
        if (pattern.test(path)) for (const m of methods) found.add(m);
      }
      return METHOD_ORDER.filter((m) => found.has(m));
    },
  };
}
