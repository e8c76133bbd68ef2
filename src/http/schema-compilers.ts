import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';
import type { Static, TSchema, TUnsafe } from '../domain/json-schema.js';

/**
 * Fastify's own schema compilers (ajv for requests, fast-json-stringify for responses), with two
 * changes, both in the one place every request part passes through:
 *
 * - Lazy: each route's validator or serializer is compiled on its first use instead of while the
 *   server starts. Compiling every schema of every route — dozens of routes, a response schema per
 *   status — was a quarter of the CPU between spawn and the first answer, for routes most runs
 *   never call. What is compiled, and how, is unchanged; only when. A schema that does not compile
 *   therefore fails on its route's first request (a 500) instead of at start-up, so
 *   test/integration/openapi.test.ts builds the app with `lazy: false` to compile every one, and
 *   check it against JSON Schema's meta-schema, in CI.
 * - Finite: ajv's type coercion turns "Infinity", "-Infinity" and "1e400" into ±Infinity and then
 *   skips the integer, minimum and maximum checks, which only look at finite numbers; without this
 *   a handler would see Infinity, and a problem naming it could not even be serialised. A request
 *   part with a non-finite number in a named field fails validation like any other bad value.
 */
type Validator = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type Serializer = (data: unknown) => string;
type RouteSchemaDef = Record<string, unknown>;
type Factory<F> = (externalSchemas: unknown, options: unknown) => (route: RouteSchemaDef) => F;
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * The compiler packages themselves (ajv with its formats, fast-json-stringify: ~70 ms to load) are
 * required on first use too, hence `require` rather than `import`.
 */
const require = createRequire(import.meta.url);
let validatorPool: Factory<Validator> | undefined;
let serializerPool: Factory<Serializer> | undefined;
const ajvValidators: Factory<Validator> = (externalSchemas, options) =>
  (validatorPool ??= (require('@fastify/ajv-compiler') as () => Factory<Validator>)())(externalSchemas, options);
const stringifiers: Factory<Serializer> = (externalSchemas, options) =>
  (serializerPool ??= (require('@fastify/fast-json-stringify-compiler') as () => Factory<Serializer>)())(externalSchemas, options);

/**
 * Marks a request part's schema as read by its handler, not by Fastify: the part is described (in
 * the OpenAPI document, and as a type) but not validated or coerced, because the handler reads it
 * leniently with refusals of its own (AcceptBatch's id from five places; a JSON hash sent to the
 * RFC 3161 route). A symbol, so neither ajv nor the document sees it.
 */
const READ_BY_HANDLER = Symbol('readByHandler');
export function readByHandler<T extends object>(schema: T): T {
  return { ...schema, [READ_BY_HANDLER]: true };
}

/**
 * Publishes `schema` (the OpenAPI document shows it) while Fastify checks only `outline`: for a
 * part whose details a handler checks with messages of its own (a duration such as "5m", a journal
 * expectation), so a refusal names what to send rather than which JSON Schema branch failed. The
 * handler's type is the outline's, since that is all Fastify vouches for.
 */
const CHECKED_AS = Symbol('checkedAs');
export function checkedAs<O extends TSchema>(schema: object, outline: O): TUnsafe<Static<O>> {
  return { ...schema, [CHECKED_AS]: outline } as unknown as TUnsafe<Static<O>>;
}

/** Request parts no JSON Schema can check: raw bytes (a stream or Buffer), and parts a handler reads itself. */
function notValidated(route: RouteSchemaDef): boolean {
  const schema = route.schema as Record<string | symbol, unknown> | undefined;
  return schema?.[READ_BY_HANDLER] === true || (schema?.type === 'string' && schema.format === 'binary');
}

/** The schema Fastify checks a part against: its outline when it has one. */
function checkedSchema(route: RouteSchemaDef): RouteSchemaDef {
  const outline = (route.schema as Record<symbol, unknown> | undefined)?.[CHECKED_AS];
  return outline ? { ...route, schema: outline } : route;
}
const ACCEPT_AS_SENT: Validator = () => true;

export function schemaCompilers(options: { lazy: boolean }): CompilersFactory {
  const factory: { buildValidator: Factory<Validator>; buildSerializer: Factory<Serializer> } = {
    buildValidator: (externalSchemas, ajvOptions) => {
      if (!options.lazy) {
        const compile = ajvValidators(externalSchemas, ajvOptions);
        return (route) => (notValidated(route) ? ACCEPT_AS_SENT : finite(() => compile(checkedSchema(route))));
      }
      // Even the ajv instance (with its formats and the shared schemas) waits for a first request,
      // and it does not check our schemas against JSON Schema's meta-schema: compiling that took
      // half of a fresh server's first request, and the eager build in CI checks every schema.
      const lenient = ajvOptions as { customOptions?: Record<string, unknown> };
      const unchecked = { ...lenient, customOptions: { ...lenient.customOptions, validateSchema: false } };
      let compile: ((route: RouteSchemaDef) => Validator) | undefined;
      return (route) => (notValidated(route) ? ACCEPT_AS_SENT : finite(() => (compile ??= ajvValidators(externalSchemas, unchecked))(checkedSchema(route))));
    },
    buildSerializer: (externalSchemas, serializerOptions) => {
      if (!options.lazy) return stringifiers(externalSchemas, serializerOptions);
      let compile: ((route: RouteSchemaDef) => Serializer) | undefined;
      return (route) => {
        let serialize: Serializer | undefined;
        return (data) => (serialize ??= (compile ??= stringifiers(externalSchemas, serializerOptions))(route))(data);
      };
    },
  };
  // Our wrappers are what Fastify calls them as, but not the ajv ValidateFunction type it names.
  return factory as unknown as CompilersFactory;
}

/**
 * The ajv validator `compile()` makes (on first use when lazy), then the finite check. Fastify
 * reads a failed validation's reasons from `errors` after the call, and passes ajv the parent
 * object (so coercion can replace a root value) when the validator has a `schemaEnv`: both are
 * forwarded, the second compiling on first sight.
 */
function finite(compile: () => Validator): Validator {
  let validate: Validator | undefined;
  let errors: unknown;
  const compiled = () => (validate ??= compile());
  const checked: Validator = (data, context) => {
    const ok = compiled()(data, context);
    errors = validate!.errors;
    if (ok !== true) return ok; // false, or an async validator's promise (none here)
    const field = nonFiniteField(data);
    if (field === null) return true;
    errors = [{ keyword: 'finite', instancePath: field ? `/${field}` : '', schemaPath: '#', params: {}, message: 'must be a finite number' }];
    return false;
  };
  Object.defineProperty(checked, 'errors', { get: () => errors });
  Object.defineProperty(checked, 'schemaEnv', { get: () => compiled().schemaEnv });
  return checked;
}

/** The name of a top-level field holding a non-finite number ('' for the value itself), or null. */
function nonFiniteField(data: unknown): string | null {
  if (typeof data === 'number') return Number.isFinite(data) ? null : '';
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  for (const name in data) {
    const value = (data as Record<string, unknown>)[name];
    if (typeof value === 'number' && !Number.isFinite(value)) return name;
  }
  return null;
}
