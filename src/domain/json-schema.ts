import type {
  ArrayOptions,
  NumberOptions,
  ObjectOptions,
  SchemaOptions,
  Static,
  StringOptions,
  TArray,
  TBoolean,
  TInteger,
  TNull,
  TNumber,
  TObject,
  TOptional,
  TProperties,
  TSchema,
  TString,
  TUnsafe,
} from '@sinclair/typebox';

/**
 * JSON Schema builders with TypeBox's static types: a schema written with `Type.Object(…)` is both
 * the JSON Schema Fastify validates, serialises and publishes and, through `Static<typeof schema>`,
 * the TypeScript type of the value (the route handlers get theirs from
 * @fastify/type-provider-typebox). The API is the subset of TypeBox's `Type` the simulator uses and
 * writes the same JSON (test/unit/contract/json-schema.test.ts holds it to that); only the types come
 * from TypeBox, whose run-time library is a few hundred modules to load when a server starts.
 */
export type { Static, TSchema, TObject, TProperties, TOptional, TInteger, TString, TUnsafe, SchemaOptions };

const OPTIONAL = Symbol('optional');

/** Options first, then the schema's own keywords: the order TypeBox writes. */
const create = <T>(schema: object, options?: object): T => (options !== undefined ? { ...options, ...schema } : schema) as T;

export const Type = {
  Object<P extends TProperties>(properties: P, options?: ObjectOptions): TObject<P> {
    const required = Object.keys(properties).filter((key) => (properties[key] as { [OPTIONAL]?: true })[OPTIONAL] !== true);
    return create(required.length > 0 ? { type: 'object', required, properties } : { type: 'object', properties }, options);
  },
  Optional<T extends TSchema>(schema: T): TOptional<T> {
    return { ...schema, [OPTIONAL]: true } as unknown as TOptional<T>;
  },
  String(options?: StringOptions): TString {
    return create({ type: 'string' }, options);
  },
  Integer(options?: NumberOptions): TInteger {
    return create({ type: 'integer' }, options);
  },
  Number(options?: NumberOptions): TNumber {
    return create({ type: 'number' }, options);
  },
  Boolean(options?: SchemaOptions): TBoolean {
    return create({ type: 'boolean' }, options);
  },
  Null(options?: SchemaOptions): TNull {
    return create({ type: 'null' }, options);
  },
  Array<T extends TSchema>(items: T, options?: ArrayOptions): TArray<T> {
    return create({ type: 'array', items }, options);
  },
  /** A schema written as is, with the static type given (enums, `type: [a, b]`, oneOf). */
  Unsafe<T>(options: SchemaOptions): TUnsafe<T> {
    return { ...options } as TUnsafe<T>;
  },
};
