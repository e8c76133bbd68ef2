import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
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
 * - Generated ahead: `npm run build` writes each request validator and response serializer as
 *   standalone code (ajv's and fast-json-stringify's; scripts/precompile-schemas.mjs, into
 *   dist/src/http/schema-code/), and a lazy one loads its file instead of loading the compilers
 *   and compiling. That was most of a fresh server's first request (~85 ms of ~120 on a small
 *   box). A file is named after a hash of everything its code is made from (the schema, the shared
 *   schemas, the compiler's options and versions), so a schema changed since the build finds no
 *   file and is compiled as before; running from the TypeScript source, nothing is generated.
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

/** Where the build writes generated validators: beside the compiled module (dist/src/http/schema-code/). */
export const SCHEMA_CODE_DIR = fileURLToPath(new URL('./schema-code/', import.meta.url));

/**
 * What generated code depends on besides its schema and options: the packages that write it and
 * whose helpers it requires, as they resolve from where the code lies. Null when one does not
 * resolve there (an install that keeps a package's dependencies to itself, as pnpm does): no
 * generated code is used then, and every schema compiles on first use. Worked out once, on first use.
 */
const WRITER_PACKAGES = {
  v: ['ajv', 'ajv-formats', '@fastify/ajv-compiler'],
  s: ['fast-json-stringify', '@fastify/fast-json-stringify-compiler', 'ajv'],
} as const;
type CodeKind = keyof typeof WRITER_PACKAGES;
let writers: Record<CodeKind, string[]> | null | undefined;
function writerVersions(): Record<CodeKind, string[]> | null {
  if (writers !== undefined) return writers;
  const fromCode = createRequire(`${SCHEMA_CODE_DIR}index.cjs`);
  const versions = (packages: readonly string[]) => packages.map((p) => `${p}@${(fromCode(`${p}/package.json`) as { version: string }).version}`);
  try {
    writers = { v: versions(WRITER_PACKAGES.v), s: versions(WRITER_PACKAGES.s) };
  } catch {
    writers = null;
  }
  return writers;
}

/** Names a route part's generated file by its schema; one namer per compiler instance. */
type CodeFiles = (schema: unknown) => string;

/**
 * The namer of the generated validators (v) or serializers (s) of one compiler instance: a file is
 * the hash of what its code is made from, the instance's part (packages, shared schemas, options)
 * hashed once. Options that only say how to compile (checking the schema first, keeping the source,
 * writing standalone code) are left out, so the build and a lazy server agree. Null when the
 * packages do not resolve (writerVersions).
 */
function codeFiles(kind: CodeKind, externalSchemas: unknown, compilerOptions: unknown): CodeFiles | null {
  const versions = writerVersions();
  if (versions === null) return null;
  const {
    customOptions = {},
    mode: _m,
    inlineValidators: _i,
    ...rest
  } = (compilerOptions ?? {}) as Record<string, unknown> & { customOptions?: Record<string, unknown> };
  const { validateSchema: _v, code: _c, ...shaping } = customOptions;
  const instance = createHash('sha256').update(JSON.stringify([versions[kind], externalSchemas, shaping, rest]));
  return (schema) => `${SCHEMA_CODE_DIR}${kind}-${instance.copy().update(JSON.stringify(schema)).digest('hex').slice(0, 32)}.cjs`;
}

/** The namer the build writes with: there must be one. */
function filesToWrite(kind: CodeKind, externalSchemas: unknown, compilerOptions: unknown): CodeFiles {
  const files = codeFiles(kind, externalSchemas, compilerOptions);
  if (files === null) throw new Error(`the packages that write schema code (${WRITER_PACKAGES[kind].join(', ')}) do not resolve from ${SCHEMA_CODE_DIR}`);
  mkdirSync(SCHEMA_CODE_DIR, { recursive: true });
  return files;
}

/**
 * The code `npm run build` generated for exactly this schema, if there is any that loads (its
 * runtime helpers are the compilers' own files: a layout where they cannot be found compiles).
 */
function generated<F>(files: CodeFiles | null, schema: unknown): F | undefined {
  if (files === null) return undefined;
  try {
    return require(files(schema)) as F;
  } catch {
    return undefined; // not generated (a schema changed since the build, a run from source), or its helpers are not there
  }
}

export function schemaCompilers(options: { lazy: boolean; writeCode?: boolean }): CompilersFactory {
  const factory: { buildValidator: Factory<Validator>; buildSerializer: Factory<Serializer> } = {
    buildValidator: (externalSchemas, ajvOptions) => {
      if (options.writeCode) return writingValidators(externalSchemas, ajvOptions);
      if (!options.lazy) {
        const compile = ajvValidators(externalSchemas, ajvOptions);
        return (route) => (notValidated(route) ? ACCEPT_AS_SENT : finite(() => compile(checkedSchema(route))));
      }
      // Even the ajv instance (with its formats and the shared schemas) waits for a first request,
      // and it does not check our schemas against JSON Schema's meta-schema: compiling that took
      // half of a fresh server's first request, and the eager build in CI checks every schema.
      const lenient = ajvOptions as { customOptions?: Record<string, unknown> };
      const unchecked = { ...lenient, customOptions: { ...lenient.customOptions, validateSchema: false } };
      const files = codeFiles('v', externalSchemas, ajvOptions);
      let compile: ((route: RouteSchemaDef) => Validator) | undefined;
      return (route) => {
        if (notValidated(route)) return ACCEPT_AS_SENT;
        const checked = checkedSchema(route);
        return finite(() => generated<Validator>(files, checked.schema) ?? (compile ??= ajvValidators(externalSchemas, unchecked))(checked));
      };
    },
    buildSerializer: (externalSchemas, serializerOptions) => {
      if (options.writeCode) return writingSerializers(externalSchemas, serializerOptions);
      if (!options.lazy) return stringifiers(externalSchemas, serializerOptions);
      const files = codeFiles('s', externalSchemas, serializerOptions);
      let compile: ((route: RouteSchemaDef) => Serializer) | undefined;
      return (route) => {
        let serialize: Serializer | undefined;
        const made = () => generated<Serializer>(files, route.schema) ?? (compile ??= stringifiers(externalSchemas, serializerOptions))(route);
        return (data) => (serialize ??= made())(data);
      };
    },
  };
  // Our wrappers are what Fastify calls them as, but not the ajv ValidateFunction type it names.
  return factory as unknown as CompilersFactory;
}

/**
 * Compiles every validator as the eager build does and writes its standalone code to its file
 * (scripts/precompile-schemas.mjs builds the app this way).
 */
function writingValidators(externalSchemas: unknown, ajvOptions: unknown): (route: RouteSchemaDef) => Validator {
  type Standalone = (o: { readMode: false; storeFunction: (route: RouteSchemaDef, code: string) => void }) => Factory<Validator>;
  const { StandaloneValidator } = require('@fastify/ajv-compiler') as { StandaloneValidator: Standalone };
  const files = filesToWrite('v', externalSchemas, ajvOptions); // before the compiler adds its own options
  const compile = StandaloneValidator({ readMode: false, storeFunction: (route, code) => writeFileSync(files(route.schema), code) })(
    externalSchemas,
    ajvOptions,
  );
  return (route) => {
    if (notValidated(route)) return ACCEPT_AS_SENT;
    const validate = compile(checkedSchema(route)); // now, not on first use: the file is the point
    return finite(() => validate);
  };
}

/**
 * Compiles every response serializer and writes its standalone code, with the validators it uses
 * (for anyOf and the like) inlined, so that loading it loads no ajv.
 */
function writingSerializers(externalSchemas: unknown, serializerOptions: unknown): (route: RouteSchemaDef) => Serializer {
  type Standalone = (o: { readMode: false; storeFunction: (route: RouteSchemaDef, code: string) => void }) => Factory<unknown>;
  const { StandaloneSerializer } = require('@fastify/fast-json-stringify-compiler') as { StandaloneSerializer: Standalone };
  const files = filesToWrite('s', externalSchemas, serializerOptions);
  const write = StandaloneSerializer({ readMode: false, storeFunction: (route, code) => writeFileSync(files(route.schema), code) })(externalSchemas, {
    ...(serializerOptions as object),
    inlineValidators: true,
  });
  return (route) => {
    write(route);
    return require(files(route.schema)) as Serializer; // what a later start loads
  };
}

/** What a generated validator shows Fastify as its schemaEnv: only its presence is read. */
const STANDALONE = Object.freeze({ standalone: true });

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
  // A generated (standalone) validator has no schemaEnv but takes the parent all the same; Fastify
  // passes it only when it sees one, and without it a coerced root value (a JSON `false` body
  // made null) would not reach the handler.
  Object.defineProperty(checked, 'schemaEnv', { get: () => compiled().schemaEnv ?? STANDALONE });
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
