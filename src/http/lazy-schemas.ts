import ValidatorSelector from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify's own schema compilers (ajv for requests, fast-json-stringify for responses), made lazy:
 * each route's validator or serializer is compiled on its first use instead of while the server
 * starts. Compiling every schema of every route — dozens of routes, a response schema per status —
 * was a quarter of the CPU between spawn and the first answer, for routes most runs never call.
 * What is compiled, and how, is unchanged; only when.
 *
 * A schema that does not compile therefore fails on its route's first request (a 500) instead of
 * at start-up; test/integration/openapi.test.ts builds the app with eager compilers so that CI
 * still compiles every schema.
 */
type Validator = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type Serializer = (data: unknown) => string;
type RouteSchemaDef = Record<string, unknown>;
type Factory<F> = (externalSchemas: unknown, options: unknown) => (route: RouteSchemaDef) => F;
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

export function lazySchemaCompilers(): CompilersFactory {
  const eagerValidators = ValidatorSelector() as unknown as Factory<Validator>;
  const eagerSerializers = SerializerSelector() as unknown as Factory<Serializer>;
  const factory: { buildValidator: Factory<Validator>; buildSerializer: Factory<Serializer> } = {
    buildValidator: (externalSchemas, options) => {
      // Even the ajv instance (with its formats and the shared schemas) waits for a first request.
      let compile: ((route: RouteSchemaDef) => Validator) | undefined;
      return (route) => lazyValidator(() => (compile ??= eagerValidators(externalSchemas, options))(route));
    },
    buildSerializer: (externalSchemas, options) => {
      const compile = eagerSerializers(externalSchemas, options);
      return (route) => {
        let serialize: Serializer | undefined;
        return (data) => (serialize ??= compile(route))(data);
      };
    },
  };
  // Our wrappers are what Fastify calls them as, but not the ajv ValidateFunction type it names.
  return factory as unknown as CompilersFactory;
}

/**
 * Fastify reads a failed validation's reasons from the validator's `errors` after the call, and
 * passes ajv the parent object (so coercion can replace a root value) when the validator has a
 * `schemaEnv`; both are forwarded, the second compiling on first sight.
 */
function lazyValidator(compile: () => Validator): Validator {
  let validate: Validator | undefined;
  const compiled = () => (validate ??= compile());
  const lazy: Validator = (data, context) => compiled()(data, context);
  Object.defineProperty(lazy, 'errors', { get: () => validate?.errors });
  Object.defineProperty(lazy, 'schemaEnv', { get: () => compiled().schemaEnv });
  return lazy;
}
