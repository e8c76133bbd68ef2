import { Type as TypeBox } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { Type } from '../../../src/domain/json-schema.js';

/** The builders carry TypeBox's static types, so they must write exactly the JSON TypeBox writes. */
describe('the JSON Schema builders write what TypeBox writes', () => {
  const json = (schema: unknown) => JSON.stringify(schema);
  it.each([
    ['String', () => [Type.String({ description: 'd', pattern: '^x$' }), TypeBox.String({ description: 'd', pattern: '^x$' })]],
    ['Integer', () => [Type.Integer({ minimum: 1, examples: [1] }), TypeBox.Integer({ minimum: 1, examples: [1] })]],
    ['Number', () => [Type.Number(), TypeBox.Number()]],
    ['Boolean', () => [Type.Boolean({ description: 'b' }), TypeBox.Boolean({ description: 'b' })]],
    ['Null', () => [Type.Null({ description: 'n' }), TypeBox.Null({ description: 'n' })]],
    ['Array', () => [Type.Array(Type.String(), { description: 'a' }), TypeBox.Array(TypeBox.String(), { description: 'a' })]],
    ['Unsafe', () => [Type.Unsafe<'a'>({ type: 'string', enum: ['a'] }), TypeBox.Unsafe<'a'>({ type: 'string', enum: ['a'] })]],
    [
      'Object with optional members',
      () => [
        Type.Object({ a: Type.String(), b: Type.Optional(Type.Integer()) }, { description: 'o', additionalProperties: false }),
        TypeBox.Object({ a: TypeBox.String(), b: TypeBox.Optional(TypeBox.Integer()) }, { description: 'o', additionalProperties: false }),
      ],
    ],
    ['Object with no required member', () => [Type.Object({ a: Type.Optional(Type.String()) }), TypeBox.Object({ a: TypeBox.Optional(TypeBox.String()) })]],
  ])('%s', (_name, make) => {
    const [ours, theirs] = make();
    expect(json(ours)).toBe(json(theirs));
  });
});
