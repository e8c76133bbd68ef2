import { MAX_STEPS } from './verify.js';

/**
 * One step of POST /_simulator/journal/verify's `expected`, as JSON Schema for the OpenAPI
 * document; parseExpected (./verify.ts) is the validator and says the same in its messages.
 */
export const EXPECTED_STEP_SCHEMA = {
  type: 'object',
  description: 'A call to look for; it matches on every field it gives (at least one of route, method, path, batchId, status)',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    route: {
      type: 'string',
      minLength: 1,
      description: 'Vendor route name (CreateBatch, upload, BatchStatus, BatchDeleteCache, AcceptBatch, batchfile, tsa), any case',
    },
    method: { type: 'string', minLength: 1, description: 'HTTP method, any case' },
    path: {
      type: 'string',
      minLength: 1,
      description:
        'The exact request path (query optional), or a glob where * stands for any characters: "/api/BatchStatus/*". A regular expression is refused (400) with what to use instead.',
    },
    batchId: { type: 'integer', minimum: 1, description: 'The batch the call named' },
    status: {
      description: "The answer's status, or its class",
      oneOf: [
        { type: 'integer', minimum: 100, maximum: 599 },
        { type: 'string', pattern: '^[1-5][xX][xX]$' },
      ],
    },
    minTimes: { type: 'integer', minimum: 1, description: 'At least this many matching calls in a row (default 1)' },
    maxTimes: { type: 'integer', minimum: 1, description: 'At most this many (no less than minTimes)' },
  },
  examples: [{ route: 'BatchStatus', minTimes: 1 }],
} as const;

/** The `expected` list. */
export const EXPECTED_SCHEMA = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_STEPS,
  items: EXPECTED_STEP_SCHEMA,
  description: 'The calls, in the order they must appear (other calls may come between)',
} as const;
