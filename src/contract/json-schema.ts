import type { Static, TObject, TOptional, TProperties, TSchema, TUnsafe } from '@sinclair/typebox';
import { Type } from '../domain/json-schema.js';

/**
 * TypeBox writes a schema's options before its own keywords (`{ description, type }`); the
 * committed OpenAPI document reads the other way round (`{ type, description }`). `documentOrder`
 * puts the keywords people read first where the document has them, recursively, keeping every
 * other key in the order it was written and TypeBox's symbol keys: a schema written with TypeBox
 * reads in the document as a hand-written one does. Only the order of keys changes, never a value.
 */
const OBJECT_ORDER = ['$id', 'type', 'description', 'required', 'additionalProperties', 'properties'];
const LEAF_ORDER = ['$id', 'type', 'items'];
const SUBSCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf']);
/**
 * Marks a schema documentOrder has put in order with an order of its own: a schema that holds it
 * keeps that order instead of being put in the default one again.
 */
const OWN_ORDER = Symbol('documentOrder');

/**
 * `order` (for the outermost object only) lists the keys that come first, in that order; a part
 * given its own order by an earlier call keeps it.
 */
export function documentOrder<T extends TSchema>(schema: T, order?: readonly string[]): T {
  const ordered = reorder(schema, order) as T;
  return order === undefined ? ordered : ({ ...ordered, [OWN_ORDER]: true } as T);
}

function reorder(value: unknown, order?: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const source = value as Record<string | symbol, unknown>;
  if (order === undefined && source[OWN_ORDER] === true) return value;
  const first = order ?? ('properties' in source ? OBJECT_ORDER : LEAF_ORDER);
  const keys = [...first.filter((k) => k in source), ...Object.keys(source).filter((k) => !first.includes(k))];
  const out: Record<string | symbol, unknown> = {};
  for (const key of keys) {
    const v = source[key];
    if ((key === 'properties' || key === 'patternProperties') && typeof v === 'object' && v !== null) {
      out[key] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, reorder(s)]));
    } else if (key === 'items' || key === 'not') {
      out[key] = reorder(v);
    } else if (SUBSCHEMA_LISTS.has(key) && Array.isArray(v)) {
      out[key] = v.map((s) => reorder(s));
    } else {
      out[key] = v;
    }
  }
  for (const symbol of Object.getOwnPropertySymbols(source)) out[symbol] = source[symbol];
  return out;
}

/** A schema that also admits null, written `type: [<its type>, "null"]` as the document has it. */
export function orNull<T extends TSchema & { type: string }>(schema: T, description?: string): TUnsafe<Static<T> | null> {
  return { ...schema, type: [schema.type, 'null'], ...(description ? { description } : {}) } as unknown as TUnsafe<Static<T> | null>;
}

/** Every member optional (a shape that publishes no `required` list, or parameters a route may leave out). */
export function allOptional<P extends TProperties>(properties: P): { [K in keyof P]: TOptional<P[K]> } {
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof P]: TOptional<P[K]> };
}

/** An object answered as a whole (a response body): its description first, as the document writes those. */
export function describedObject<P extends TProperties>(description: string, properties: P): TObject<P> {
  return documentOrder(Type.Object(properties, { description }), ['description', 'type', 'required', 'properties']);
}
