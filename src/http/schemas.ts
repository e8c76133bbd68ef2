import type { JsonStyle } from './vendor-json.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/**
 * JSON Schemas for the vendor routes: one source for request validation, response serialisation
 * and the OpenAPI document. Response schemas depend on the JSON style (vendor strings vs typed).
 */

const DATE = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$', description: '`yyyy-MM-dd HH:mm:ss`, UTC', examples: ['2023-01-01 12:00:00'] };
const MAX_ID = Number.MAX_SAFE_INTEGER;

export const idParam = (name: string, description: string) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'integer', minimum: 1, maximum: MAX_ID, description } },
});

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details, as ASP.NET Core writes them. `detail` says what to fix.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', examples: ['urn:seal-simulator:problem:wrong-state'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    traceId: { type: 'string' },
    batchId: { type: 'integer' },
    batchStatus: { type: 'string' },
    entry: { type: ['string', 'integer'], description: 'The offending ZIP entry, for package errors' },
    reason: { type: 'string', description: 'A stable code for the package error' },
  },
  additionalProperties: true,
} as const;

export const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' } } },
});

export function responseSchemas(style: JsonStyle) {
  const typed = style === 'typed';
  const idString = typed
    ? { type: 'integer', examples: [2123] }
    : { type: 'string', pattern: '^\\d+$', examples: ['2123'] };
  const bool = typed ? { type: 'boolean' } : { type: 'string', enum: ['true', 'false'] };
  const code = typed
    ? { type: 'integer', description: 'Numeric status code (status table A or B)' }
    : { type: 'string', pattern: '^\\d+$', description: 'Numeric status code as a string (status table A or B)' };

  const batchCreated = {
    type: 'object',
    required: ['id', 'providerSettingsId', 'creationDate', 'status'],
    additionalProperties: false,
    properties: { id: idString, providerSettingsId: idString, creationDate: DATE, status: code },
  };
  const uploadReceipt = {
    type: 'object',
    required: ['id', 'counterpartyId', 'name', 'signed', 'hash', 'signature', 'batchId', 'creationDate', 'isZip', 'tsaId'],
    additionalProperties: false,
    properties: {
      id: { ...idString, description: 'Id of this uploaded package (one row for the ZIP itself)' },
      counterpartyId: idString,
      name: { type: 'string', description: 'The package name: the filename of a Content-Disposition header, else batch-{id}.zip' },
      signed: bool,
      hash: { type: 'null' },
      signature: { type: 'null' },
      batchId: { type: 'integer' },
      creationDate: DATE,
      isZip: bool,
      tsaId: idString,
    },
  };
  const document = {
    type: 'object',
    required: ['id', 'signed', 'fileName', 'signingResult_Success'],
    additionalProperties: false,
    properties: { id: idString, signed: bool, fileName: { type: 'string' }, signingResult_Success: bool },
  };
  const batchStatus = {
    type: 'object',
    required: ['id', 'status', 'creationDate', 'documents'],
    additionalProperties: false,
    properties: {
      id: { type: 'integer' },
      status: {
        type: 'string',
        enum: ['NEW', 'UPLOADED', 'ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING', 'CLOSED', 'DELETED'],
        description: 'Status name. UPLOADED appears only with status table B.',
      },
      creationDate: DATE,
      documents: { type: 'array', items: document, description: 'The files inside the uploaded package, one row each' },
    },
  };
  const accepted = {
    type: 'object',
    required: ['id', 'providerSettingsId', 'creationDate', 'status'],
    additionalProperties: false,
    properties: { id: { type: 'integer' }, providerSettingsId: idString, creationDate: DATE, status: code },
  };
  return { batchCreated, uploadReceipt, batchStatus, accepted };
}
