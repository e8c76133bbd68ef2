import { packageInvalidReasons, packageTooLargeReasons } from '../archive/rejections.js';
import { STATUSES, statusTable, type StatusTableName } from '../domain/status.js';
import type { JsonStyle } from './vendor-json.js';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, type ProblemCode, problemType } from './problem.js';

/**
 * JSON Schemas for the routes: one source for request validation, response serialisation and the
 * OpenAPI document (src/http/openapi.ts). Response schemas depend on the JSON style (vendor strings
 * vs typed) and the status table, so the document describes exactly what this configuration sends.
 */

// ---------------------------------------------------------------------------------------------
// OpenAPI vocabulary shared by every route (see the note at the top of src/http/openapi.ts)
// ---------------------------------------------------------------------------------------------

/** Operation tags: what the real service has, and what only the simulator has. */
export const TAGS = {
  vendor: 'SEAL batch API (vendor)',
  simulator: 'Simulator',
  control: 'Simulator control',
} as const;

/** Names of the security schemes declared in components.securitySchemes. */
export const SECURITY_SCHEMES = {
  apiKey: 'apiKey',
  basic: 'basicAuth',
  /** The admin token (SEAL_SIM_ADMIN_TOKEN) on control routes, in each way the server takes it. */
  adminBearer: 'adminToken',
  adminHeader: 'adminTokenHeader',
  adminQuery: 'adminTokenQuery',
  adminCookie: 'adminTokenCookie',
} as const;

/** `security` of a vendor route: the API-KEY header. */
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ [SECURITY_SCHEMES.apiKey]: [] }];
/** `security` of the RFC 3161 TSA route: the API-KEY header or HTTP Basic (docs/vendor-contract.md#authentication). */
export const API_KEY_OR_BASIC_SECURITY: Record<string, string[]>[] = [{ [SECURITY_SCHEMES.apiKey]: [] }, { [SECURITY_SCHEMES.basic]: [] }];
/** `security` of a simulator route: none. */
export const NO_SECURITY: Record<string, string[]>[] = [];

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

const DATE = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$',
  description: '`yyyy-MM-dd HH:mm:ss` without a zone, as the vendor writes it; the simulator writes UTC (see docs/vendor-contract.md#dates).',
  examples: ['2023-01-01 12:00:00'],
};
const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * Path ids. The example is 1: the first batch (and process) of a fresh simulator, so an example
 * request sent as is works (test/integration/openapi-examples.test.ts sends each one).
 */
export const idParam = (name: string, description: string, example = 1) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'integer', minimum: 1, maximum: MAX_ID, description, examples: [example] } },
});

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description:
    'RFC 9457 problem details, the shape ASP.NET Core writes. The vendor documents no error bodies, so this shape is the simulator\'s choice (see docs/vendor-contract.md#errors). `detail` says what to fix; `traceId` finds the request in the simulator\'s log.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'A stable URN per kind of error', examples: ['urn:seal-simulator:problem:wrong-state'] },
    title: { type: 'string', description: 'The kind of error, for humans', examples: ['The batch is not in a state that allows this call'] },
    status: { type: 'integer', description: 'The HTTP status code', examples: [409] },
    detail: {
      type: 'string',
      description: 'What went wrong with this request and what to do about it',
      examples: ['Batch 2123 is NEW and cannot be accepted. Upload the ZIP first (POST /api/upload/2123).'],
    },
    instance: { type: 'string', description: 'The request path', examples: ['/api/AcceptBatch/2123'] },
    traceId: { type: 'string', description: 'The request id, as in the log', examples: ['req-1'] },
    batchId: { type: 'integer', description: 'The batch concerned, when there is one' },
    batchStatus: { type: 'string', enum: [...STATUSES], description: 'The batch\'s status, for wrong-state errors' },
    processId: { type: 'integer', description: 'The unknown process, for process-not-found errors' },
    allow: { type: 'array', items: { type: 'string' }, description: 'For 405: the methods this path takes (also in the `Allow` header)' },
    entry: {
      type: ['string', 'integer'],
      description: 'For package errors: the offending ZIP entry\'s name, or its 1-based position when it has no usable name',
    },
    reason: {
      type: 'string',
      description: `A stable code for package errors. 400: ${packageInvalidReasons.join(', ')}. 413: ${packageTooLargeReasons.join(', ')}.`,
      examples: ['nested-path'],
    },
    limit: { type: 'integer', description: 'For 408, 413, 429 and 507: the limit that was reached (bytes, a count, ms or bytes per second)' },
    setting: { type: 'string', description: 'For 408, 413, 429 and 507: the setting that sets the limit', examples: ['SEAL_SIM_MAX_UPLOAD_BYTES'] },
  },
  additionalProperties: true,
} as const;

/** A realistic problem body for the document's examples. */
export const problemExample = (code: ProblemCode, detail: string) => ({
  type: problemType(code),
  title: PROBLEMS[code].title,
  status: PROBLEMS[code].status,
  detail,
  traceId: 'req-1',
});

/**
 * A problem response (`application/problem+json`, the shared `Problem` schema). `code` picks the
 * example's type and title where a status has several (404: batch or process); without it the
 * document shows the status's first code (src/http/openapi.ts fills it in).
 */
export const problem = (description: string, code?: ProblemCode) => ({
  description,
  content: {
    [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' }, ...(code ? { example: problemExample(code, description) } : {}) },
  },
});

/** The masked 500 every route may answer. */
export const unexpectedProblem = () =>
  problem('The simulator failed unexpectedly. Nothing internal is shown; the log has the details under the `traceId`.', 'internal');

// ---------------------------------------------------------------------------------------------
// Vendor response bodies (docs/vendor-contract.md#bodies)
// ---------------------------------------------------------------------------------------------

/** The vendor's examples, in the given JSON style and status table. */
export function vendorExamples(style: JsonStyle, table: StatusTableName) {
  const typed = style === 'typed';
  const id = (n: number) => (typed ? n : String(n));
  const bool = (b: boolean) => (typed ? b : b ? 'true' : 'false');
  const codes = statusTable(table);
  const code = (s: (typeof STATUSES)[number]) => (typed ? codes.code(s) : String(codes.code(s)));
  const document = (n: number, fileName: string, done: boolean) => ({ id: id(n), signed: bool(done), fileName, signingResult_Success: bool(done) });
  return {
    batchCreated: { id: id(2123), providerSettingsId: id(1), creationDate: '2023-01-01 12:00:00', status: code('NEW') },
    uploadReceipt: {
      id: id(1),
      counterpartyId: id(1),
      name: 'batch-2123.zip',
      signed: bool(false),
      hash: null,
      signature: null,
      batchId: 2123,
      creationDate: '2023-01-01 12:00:05',
      isZip: bool(true),
      tsaId: id(1),
    },
    batchStatus: { id: 2123, status: 'READY', creationDate: '2023-01-01 10:00:00', documents: [document(1, 'test.pdf', false)] },
    batchClosed: {
      id: 2123,
      status: 'CLOSED',
      creationDate: '2023-01-01 10:00:00',
      documents: [document(1, 'test.pdf', true), document(2, 'notes.txt', false)],
    },
    batchDeleted: { id: 2123, status: 'DELETED', creationDate: '2023-01-01 10:00:00', documents: [document(1, 'test.pdf', true)] },
    accepted: { id: 2123, providerSettingsId: id(1), creationDate: '2023-01-01 10:00:00', status: code('ACCEPTED') },
  };
}

export function responseSchemas(style: JsonStyle, table: StatusTableName = 'A') {
  const typed = style === 'typed';
  const examples = vendorExamples(style, table);
  const idString = typed
    ? { type: 'integer', examples: [2123] }
    : { type: 'string', pattern: '^\\d+$', description: 'A number written as a string, as the vendor does', examples: ['2123'] };
  const smallId = (description: string) =>
    typed ? { type: 'integer', description, examples: [1] } : { type: 'string', pattern: '^\\d+$', description: `${description} (a number written as a string)`, examples: ['1'] };
  const bool = (description: string) =>
    typed
      ? { type: 'boolean', description }
      : { type: 'string', enum: ['true', 'false'], description: `${description} (a boolean written as the string "true" or "false", as the vendor does)` };

  const statuses = statusTable(table);
  const shown = STATUSES.filter((s) => statuses.name(s) === s);
  const codeList = shown.map((s) => `${statuses.code(s)} ${s}`).join(', ');
  const code = typed
    ? { type: 'integer', enum: shown.map((s) => statuses.code(s)), description: `Numeric status code, status table ${table}: ${codeList}` }
    : {
        type: 'string',
        enum: shown.map((s) => String(statuses.code(s))),
        description: `Numeric status code written as a string, status table ${table}: ${codeList}`,
      };

  const batchCreated = {
    type: 'object',
    description: 'The new batch',
    required: ['id', 'providerSettingsId', 'creationDate', 'status'],
    additionalProperties: false,
    properties: {
      id: { ...idString, description: `The batch id: pass it to every other call${typed ? '' : ' (a number written as a string here, though BatchStatus and AcceptBatch answer it as a number)'}` },
      providerSettingsId: smallId('The provider settings of the process'),
      creationDate: DATE,
      status: {
        ...code,
        description: `${code.description}. Always NEW's code here. The vendor's own example shows "1" for a brand-new batch; the simulator reports the batch's real status (see docs/vendor-contract.md#status-in-bodies).`,
      },
    },
    examples: [examples.batchCreated],
  };
  const uploadReceipt = {
    type: 'object',
    description: 'One row for the uploaded package itself (see docs/vendor-contract.md#upload-row); BatchStatus lists the files inside it',
    required: ['id', 'counterpartyId', 'name', 'signed', 'hash', 'signature', 'batchId', 'creationDate', 'isZip', 'tsaId'],
    additionalProperties: false,
    properties: {
      id: smallId('Id of this uploaded package'),
      counterpartyId: smallId('The caller, from the API key\'s configuration [decision]'),
      name: {
        type: 'string',
        description:
          'The package name: the filename of a `Content-Disposition` request header if one was sent (the simulator\'s guess, see docs/vendor-contract.md#upload-row), else `batch-{batchId}.zip`',
        examples: ['batch-2123.zip'],
      },
      signed: bool('Always false for the package row'),
      hash: { type: 'null', description: 'Always null, as in the vendor\'s example' },
      signature: { type: 'null', description: 'Always null, as in the vendor\'s example' },
      batchId: { type: 'integer', description: 'The batch (a number, unlike `id`)', examples: [2123] },
      creationDate: DATE,
      isZip: bool('Always true: the row stands for the ZIP'),
      tsaId: smallId('The TSA of the process'),
    },
    examples: [examples.uploadReceipt],
  };
  const document = {
    type: 'object',
    required: ['id', 'signed', 'fileName', 'signingResult_Success'],
    additionalProperties: false,
    properties: {
      id: smallId('Document id'),
      signed: bool('Whether the file was sealed'),
      fileName: { type: 'string', description: 'The file\'s name inside the package', examples: ['test.pdf'] },
      signingResult_Success: bool(
        'Whether sealing (or validating) this file succeeded. The vendor documents no failure status: a file that could not be sealed shows false in a CLOSED batch',
      ),
    },
  };
  const batchStatus = {
    type: 'object',
    description: 'The batch and the files in its package',
    required: ['id', 'status', 'creationDate', 'documents'],
    additionalProperties: false,
    properties: {
      id: { type: 'integer', description: 'The batch id (a number here)', examples: [2123] },
      status: {
        type: 'string',
        enum: shown,
        description: `Status name (status table ${table}). ${
          table === 'A'
            ? 'Table A has no UPLOADED: a batch with a package still reads NEW.'
            : 'Table B shows UPLOADED once a package is in.'
        } CLOSED means the signed package can be downloaded.`,
      },
      creationDate: DATE,
      documents: { type: 'array', items: document, description: 'The files inside the uploaded package, one row each (empty before upload)' },
    },
    examples: [examples.batchStatus, examples.batchClosed],
  };
  const batchDeleted = { ...batchStatus, description: 'The batch as it was deleted: `status` is DELETED', examples: [examples.batchDeleted] };
  const accepted = {
    type: 'object',
    description: 'The accepted batch',
    required: ['id', 'providerSettingsId', 'creationDate', 'status'],
    additionalProperties: false,
    properties: {
      id: { type: 'integer', description: 'The batch id (a number here)', examples: [2123] },
      providerSettingsId: smallId('The provider settings of the process'),
      creationDate: DATE,
      status: {
        ...code,
        description: `${code.description}. ACCEPTED's code here. The vendor's example shows "0"; the simulator reports the real status (see docs/vendor-contract.md#status-in-bodies).`,
      },
    },
    examples: [examples.accepted],
  };
  return { batchCreated, uploadReceipt, batchStatus, batchDeleted, accepted };
}

/** The result package download: raw bytes. */
export const zipDownload = {
  description: 'The signed result package (a flat ZIP), as raw bytes',
  headers: {
    'content-disposition': {
      type: 'string',
      description: 'attachment; filename="batch-{batchId}-signed.zip"',
      examples: ['attachment; filename="batch-2123-signed.zip"'],
    },
  },
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
};
