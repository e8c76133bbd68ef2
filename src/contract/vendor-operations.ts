import { VALIDATION_REPORT_DOC } from '../signing/validation/report-doc.js';
import { type OperationDoc, operationsOf } from './operation-doc.js';
import { STATUS_TABLE_NOTE } from './vendor-bodies.js';

/**
 * What each vendor operation does, in the integrator's terms, keyed by operation id: the summary
 * and the description the OpenAPI document shows (which batch states allow it, which errors it
 * answers and why, and where the simulator decided what the vendor leaves open). The route files
 * hold only wiring; the summaries keep the vendor's numbering of the batch flow ("1." … "6."),
 * by which the document orders the operations.
 */

/** AcceptBatch's two forms differ only in where the id comes from. */
const acceptBatch = (where: string): string =>
  [
    `Starts processing an uploaded batch: it becomes ACCEPTED and then moves on by itself to CLOSED (poll BatchStatus). ${where}`,
    '',
    'Allowed only once a package was uploaded (NEW with a package, or UPLOADED) and only once.',
    '',
    '**Errors:** 400 when no batch id, an invalid one, or two different ones are given; 409 when the batch has no package yet, was already accepted, or was deleted; 404 for an unknown batch.',
    '',
    '**Simulator\'s decisions:** the vendor\'s page lists `batchId` as a path parameter of a path that has none, so the simulator takes it from any of: the path `/api/AcceptBatch/{batchId}`, the query `?batchId=`, a JSON body `{"batchId": n}`, a form field `batchId`, or the bare number as the body (see docs/vendor-contract.md#acceptbatch). `status` is the real status code (ACCEPTED), where the vendor\'s example shows `"0"`.',
  ].join('\n');

export const VENDOR_OPERATIONS = {
  CreateBatch: {
    summary: '1. Create a batch for a process',
    description: [
      'Creates an empty batch that will be sealed (or validated) by the given process, and answers its `id`: the `batchId` of every later call. The batch starts as NEW.',
      '',
      "`processId` selects the server-side configuration (operation, format, level, TSA). The simulator's processes are listed by `GET /_simulator/processes` (1: PAdES-B-T for PDFs, 2: CAdES-B-T detached, 3: XAdES-B-B, 4: validate, …).",
      '',
      '**Errors:** 400 when `processId` is not a positive integer; 404 when no such process exists; 401 without a valid API key.',
      '',
      '**Simulator\'s decision:** `status` is the batch\'s real status code (NEW → `"0"`), where the vendor\'s example shows `"1"` (see docs/vendor-contract.md#status-in-bodies).',
    ].join('\n'),
  },
  upload: {
    summary: '2. Upload the ZIP of files to seal',
    description: [
      "Sends the package: a **flat ZIP** (files only, no folders) as the **raw request body** with `Content-Type: application/octet-stream`. Not multipart/form-data: that is refused with 415. The simulator reads the body as the ZIP whatever else the Content-Type says (`application/zip`, none at all, curl's default form type), as a lenient server would.",
      '',
      'To give the package a name, send `Content-Disposition: attachment; filename="documents.zip"` (the `Content-Disposition` parameter below; the explorer sends what is typed there).',
      '',
      'Allowed while the batch is NEW (or UPLOADED). Uploading again before AcceptBatch replaces the package (see docs/vendor-contract.md#wrong-state). The answer is one row for the package itself; `GET /api/BatchStatus/{batchId}` then lists the files inside it.',
      '',
      '**Errors:** 400 when the body is empty, not a ZIP, or breaks a rule (nested folders, path traversal, duplicate or invalid names, encryption, a ZIP bomb…): `reason` and `entry` in the problem say which; 413 when the body or a file inside it is larger than the configured limits (`setting` names the limit to raise); 409 when the batch was already accepted or deleted; 404 for an unknown batch; 408 when the body arrives too slowly or too late (SEAL_SIM_UPLOAD_MIN_BYTES_PER_SECOND, SEAL_SIM_UPLOAD_TIMEOUT_MS); 429 when this key already has SEAL_SIM_MAX_UPLOADS_PER_KEY uploads in progress; 507 when its stored packages and results would pass SEAL_SIM_MAX_STORED_BYTES_PER_TENANT. A partial body is never kept.',
      '',
      "**Simulator's decisions:** the package is named after the filename of a `Content-Disposition` request header if present, else `batch-{batchId}.zip`; the size and content limits are the simulator's (the vendor documents none).",
    ].join('\n'),
  },
  BatchStatus: {
    summary: '4. Poll the batch status and per-file results',
    description: [
      "Answers the batch's status by name and one row per file of its package. Allowed in every state, DELETED included.",
      '',
      `After AcceptBatch the batch moves ACCEPTED → READY → IN_PROGRESS → FINISHING → CLOSED on its own (how fast depends on the simulator's timing setting). Poll until \`status\` is CLOSED, then download. Each file's \`signed\` and \`signingResult_Success\` become true once it is sealed; a file the process could not seal stays false in a CLOSED batch (the vendor documents no failure status).`,
      '',
      '**Errors:** 400 for a malformed batchId; 404 for an unknown batch.',
      '',
      `**Simulator's decision:** ${STATUS_TABLE_NOTE}`,
    ].join('\n'),
  },
  BatchDeleteCache: {
    summary: '6. Delete the batch and its files',
    description: [
      "Removes the batch's package and result from the cache and marks it DELETED; answers the batch as BatchStatus does. Allowed in any state but DELETED. Afterwards only BatchStatus answers (with DELETED); every other call gets 409.",
      '',
      '**Errors:** 409 when the batch is already deleted; 404 for an unknown batch; 400 for a malformed batchId.',
    ].join('\n'),
  },
  AcceptBatch: {
    summary: '3. Accept the batch (id in the query or body)',
    description: acceptBatch('This form takes the batch id from the query or the body; the next operation takes it from the path.'),
  },
  AcceptBatchById: {
    summary: '3. Accept the batch (id in the path)',
    description: acceptBatch('This form takes the batch id from the path, the simplest way to call it.'),
  },
  batchfile: {
    summary: '5. Download the signed package',
    description: [
      'Answers the result package as raw bytes (`application/octet-stream`, a flat ZIP named `batch-{batchId}-signed.zip`): every file as the process left it, sealed in place (PAdES, enveloped XAdES) or with its signature file beside it (`.p7s`, `.p7m`, `.xades.xml`); for the validate process, a report.',
      '',
      'Allowed only when the batch is CLOSED.',
      '',
      '**Errors:** 409 before CLOSED or after delete; 404 for an unknown batch; 503 when the worker could not produce the result (see the log).',
      '',
      "**Simulator's decision:** the vendor does not document the contents of the signed package; this layout is the simulator's.",
      '',
      VALIDATION_REPORT_DOC,
    ].join('\n'),
  },
  tsaStampRfc3161: {
    summary: 'Time-stamp a hash (RFC 3161)',
    description:
      'Send a DER `TimeStampReq` (`application/timestamp-query`, e.g. from `openssl ts -query`) or a raw SHA-1/256/384/512 digest (20/32/48/64 bytes, `application/octet-stream`). Without a Content-Type (or with curl\'s default form type) the body is recognised by itself: a JSON `{"hash": "<base64>"}` is read as JSON (as `application/json` is), anything else as the binary request. Answers a DER `TimeStampResp` (`application/timestamp-reply`) from the simulator\'s test TSA, honouring the nonce and certReq. Time-stamps are issued under policy 1.2.3.4.1; a request naming another `reqPolicy` gets a TimeStampResp with status rejection and failInfo unacceptedPolicy (still HTTP 200, as RFC 3161 has it). Auth: API-KEY header or HTTP Basic. [decision] The vendor documents neither the request formats accepted nor the response body; the simulator answers what RFC 3161 clients expect.',
  },
  tsaStampJson: {
    summary: 'Time-stamp a hash (JSON)',
    description:
      'Send `{"hash": "<base64 of a SHA-1/256/384/512 digest>"}` as `application/json`; without a Content-Type (or with curl\'s default form type) a body that is JSON is read as JSON. Answers `{"token": "<base64 DER TimeStampToken>"}`. Auth: API-KEY header. [decision] The vendor does not document the response body.',
  },
} satisfies Record<string, OperationDoc>;

export type VendorOperationId = keyof typeof VENDOR_OPERATIONS;

/** The `operationId`, `summary` and `description` of a route's schema. */
export const vendorOperation = operationsOf(VENDOR_OPERATIONS);
