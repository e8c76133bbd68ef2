import type { SchemaOptions, Static, TSchema } from '@sinclair/typebox';
import { Type } from '../domain/json-schema.js';
import { documentOrder } from './json-schema.js';

/**
 * The request parts of the vendor's routes that are read leniently, as a lenient ASP.NET server
 * reads them (docs/vendor-contract.md#acceptbatch): described here once, for the OpenAPI document
 * and the handlers' types; the route marks them read by its handler (src/http/schema-compilers.ts)
 * where the handler refuses bad values itself, and raw bytes are never schema-checked.
 */

const MAX_ID = Number.MAX_SAFE_INTEGER;
const RAW_ZIP = Type.String({ format: 'binary', contentMediaType: 'application/zip' });
const RAW_BYTES = Type.String({ format: 'binary' });

/** upload: the ZIP itself as the raw body, and the header that may name it. */
export const UPLOAD_REQUEST = {
  body: {
    description: 'The ZIP file itself, as raw bytes (not multipart)',
    required: true,
    content: {
      'application/octet-stream': { schema: documentOrder(RAW_ZIP) },
      'application/zip': { schema: documentOrder(RAW_ZIP) },
    },
  },
  headers: documentOrder(
    Type.Object({
      'Content-Disposition': Type.Optional(
        Type.String({
          description: 'Names the package (only the file name is kept); without it the package is `batch-{batchId}.zip`',
          examples: ['attachment; filename="documents.zip"'],
        }),
      ),
    }),
  ),
};

const JSON_ID_OBJECT = documentOrder(Type.Object({ batchId: Type.Unsafe<number | string>({ type: ['integer', 'string'], description: 'The batch id' }) }));
const BARE_ID = documentOrder(Type.Integer({ description: 'The bare batch id' }));

/** Exactly one of the alternatives (TypeBox's Union writes anyOf); its type is theirs. */
const oneOf = <T extends TSchema[]>(schemas: [...T], options: SchemaOptions) => Type.Unsafe<Static<T[number]>>({ oneOf: schemas, ...options });

/** AcceptBatch: the id in the path, the query, or the body (a JSON object, a bare number, a form field). */
export const ACCEPT_BATCH_REQUEST = {
  path: documentOrder(
    Type.Object({
      batchId: Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'The batch id CreateBatch returned', examples: [1] }),
    }),
  ),
  query: documentOrder(
    Type.Object({
      batchId: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'The batch id (or give it in the body)', examples: [1] })),
    }),
  ),
  body: {
    description:
      'The batch id, if not given in the query: a JSON object, a bare number, or a form field. A bare number is read with any Content-Type or none (curl -d 113 sends it as a form); a JSON object without a Content-Type is read as JSON.',
    required: false,
    content: {
      'application/json': {
        schema: oneOf([JSON_ID_OBJECT, BARE_ID], { examples: [{ batchId: 1 }] }),
      },
      'application/x-www-form-urlencoded': {
        schema: documentOrder(Type.Object({ batchId: Type.Integer({ description: 'The batch id' }) })),
      },
      'text/plain': { schema: documentOrder(Type.String({ pattern: '^\\d+$', description: 'The bare batch id', examples: ['1'] })) },
    },
  },
};

/** The JSON TSA request (validated on the JSON route; on the RFC 3161 route the TSA reads it). */
export const TSA_HASH_BODY = documentOrder(
  Type.Object({
    hash: Type.String({ description: 'base64 of a SHA-1/256/384/512 digest', examples: ['LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ='] }),
  }),
);

/** POST /tsa/stamp/rfc3161/{processId}: a DER TimeStampReq or a raw digest, or the JSON hash. */
export const TSA_RFC3161_BODY = {
  required: true,
  content: {
    'application/timestamp-query': { schema: documentOrder(RAW_BYTES) },
    'application/octet-stream': { schema: documentOrder(RAW_BYTES) },
    'application/json': { schema: TSA_HASH_BODY },
  },
};
