import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { BatchService } from '../domain/batch-service.js';
import { DomainError } from '../domain/errors.js';
import type { ProcessDef } from '../domain/process.js';
import type { ProcessCatalog } from '../domain/processes.js';
import { apiKeyAuth } from './auth.js';
import { API_KEY_SECURITY, idParam, problem, responseSchemas, TAGS, unexpectedProblem, zipDownload } from './schemas.js';
import { vendorDateFormat, vendorJson } from './vendor-json.js';
import { VALIDATION_REPORT_DOC } from '../signing/validation/report-doc.js';
import type { KeySettings } from '../key-settings.js';

export interface BatchRoutesOptions {
  config: Config;
  service: BatchService;
  processes: ProcessCatalog;
  keys: KeySettings;
}

type IdParams = { batchId: number };

/**
 * The six vendor batch routes under /api (docs/vendor-contract.md#endpoints). Adapters only: validated values in, one
 * service call, a body shaped by the vendor presenter and the response schema.
 */
export async function batchRoutes(app: FastifyInstance, opts: BatchRoutesOptions): Promise<void> {
  const { config, service, processes, keys } = opts;
  const json = vendorJson({ style: config.json, statusTable: config.statusTable, counterpartyId: '1', date: vendorDateFormat(config.profile.dates) });
  const schemas = responseSchemas(config.json, config.statusTable);
  const processOf = (processId: number): ProcessDef => processes.get(processId)!;
  // OpenAPI: every vendor operation is tagged as the vendor's and needs the API-KEY header.
  const vendor = { tags: [TAGS.vendor], security: API_KEY_SECURITY };
  const common = {
    401: problem('No API-KEY header, or a key the simulator was not configured with'),
    500: unexpectedProblem(),
  };
  const batchErrors = {
    ...common,
    400: problem('batchId is not a positive integer'),
    404: problem('No batch with this id for this API key (a batch created with another key is invisible)', 'batch_not_found'),
  };
  const batchIdParam = idParam('batchId', 'The batch id CreateBatch returned');

  app.addHook('onRequest', apiKeyAuth(config));
  // CreateBatch, BatchStatus, BatchDeleteCache and batchfile bind nothing from the body, and an
  // ASP.NET action that binds nothing from the body never reads it: whatever body and Content-Type
  // a client sends along is ignored, not refused. (Upload and AcceptBatch set their own parsers.)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', ignoreBody);

  app.post<{ Params: { processId: number } }>(
    '/CreateBatch/:processId',
    {
      schema: {
        ...vendor,
        operationId: 'CreateBatch',
        summary: '1. Create a batch for a process',
        description: [
          'Creates an empty batch that will be sealed (or validated) by the given process, and answers its `id`: the `batchId` of every later call. The batch starts as NEW.',
          '',
          '`processId` selects the server-side configuration (operation, format, level, TSA). The simulator\'s processes are listed by `GET /_simulator/processes` (1: PAdES-B-T for PDFs, 2: CAdES-B-T detached, 3: XAdES-B-B, 4: validate, …).',
          '',
          '**Errors:** 400 when `processId` is not a positive integer; 404 when no such process exists; 401 without a valid API key.',
          '',
          '**Simulator\'s decision:** `status` is the batch\'s real status code (NEW → `"0"`), where the vendor\'s example shows `"1"` (see docs/vendor-contract.md#status-in-bodies).',
        ].join('\n'),
        params: idParam('processId', 'The process that will seal or validate the files (see GET /_simulator/processes)', 1),
        response: {
          201: schemas.batchCreated,
          ...common,
          400: problem('processId is not a positive integer'),
          404: problem('No process with this id, or one this API key may not use (SEAL_SIM_KEYS_FILE)', 'process_not_found'),
          429: problem('This API key holds SEAL_SIM_MAX_BATCHES_PER_TENANT batches already (delete some), or a Prefer fault would pass SEAL_SIM_MAX_FAULTS_PER_TENANT; `setting` names the limit', 'too_many_batches'),
        },
      },
    },
    async (request, reply) => {
      keys.requireProcess(request.tenant, request.params.processId);
      const batch = service.createBatch(request.tenant, request.params.processId);
      return reply.code(201).send(json.created(batch, processOf(batch.processId)));
    },
  );

  await app.register(async (upload) => {
    // The body is the raw ZIP; hand the stream to the service untouched (no buffering, no limit
    // here: the intake enforces SEAL_SIM_MAX_UPLOAD_BYTES while streaming to disk).
    // Every content type, application/json and text/plain included: the inherited JSON parser
    // would otherwise hand the service a parsed object instead of the stream (a 500).
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    upload.post<{ Params: IdParams }>(
      '/upload/:batchId',
      {
        config: { streamsOwnBody: true }, // its deadline and minimum rate are the intake's (src/http/slow-clients.ts)
        schema: {
          ...vendor,
          operationId: 'upload',
          summary: '2. Upload the ZIP of files to seal',
          description: [
            'Sends the package: a **flat ZIP** (files only, no folders) as the **raw request body** with `Content-Type: application/octet-stream`. Not multipart/form-data: that is refused with 415. The simulator reads the body as the ZIP whatever else the Content-Type says (`application/zip`, none at all, curl\'s default form type), as a lenient server would.',
            '',
            'To give the package a name, send `Content-Disposition: attachment; filename="documents.zip"` (the `Content-Disposition` parameter below; the explorer sends what is typed there).',
            '',
            'Allowed while the batch is NEW (or UPLOADED). Uploading again before AcceptBatch replaces the package (see docs/vendor-contract.md#wrong-state). The answer is one row for the package itself; `GET /api/BatchStatus/{batchId}` then lists the files inside it.',
            '',
            '**Errors:** 400 when the body is empty, not a ZIP, or breaks a rule (nested folders, path traversal, duplicate or invalid names, encryption, a ZIP bomb…): `reason` and `entry` in the problem say which; 413 when the body or a file inside it is larger than the configured limits (`setting` names the limit to raise); 409 when the batch was already accepted or deleted; 404 for an unknown batch; 408 when the body arrives too slowly or too late (SEAL_SIM_UPLOAD_MIN_BYTES_PER_SECOND, SEAL_SIM_UPLOAD_TIMEOUT_MS); 429 when this key already has SEAL_SIM_MAX_UPLOADS_PER_KEY uploads in progress; 507 when its stored packages and results would pass SEAL_SIM_MAX_STORED_BYTES_PER_TENANT. A partial body is never kept.',
            '',
            '**Simulator\'s decisions:** the package is named after the filename of a `Content-Disposition` request header if present, else `batch-{batchId}.zip`; the size and content limits are the simulator\'s (the vendor documents none).',
          ].join('\n'),
          params: batchIdParam,
          // Declared for OpenAPI only: Fastify must not validate the body, which is the raw stream.
          'x-openapi-only': {
            parameters: [
              {
                name: 'Content-Disposition',
                in: 'header',
                required: false,
                description: 'Names the package (only the file name is kept); without it the package is `batch-{batchId}.zip`',
                schema: { type: 'string', maxLength: 1024 },
                example: 'attachment; filename="documents.zip"',
              },
            ],
            requestBody: {
              required: true,
              description: 'The ZIP file itself, as raw bytes (not multipart)',
              content: {
                'application/octet-stream': { schema: { type: 'string', format: 'binary', contentMediaType: 'application/zip' } },
                'application/zip': { schema: { type: 'string', format: 'binary', contentMediaType: 'application/zip' } },
              },
            },
          },
          response: {
            202: schemas.uploadReceipt,
            ...batchErrors,
            400: problem('Not a flat, well-formed ZIP, or batchId is not a positive integer; `reason` and `entry` name the fault', 'package_invalid'),
            409: problem('The batch was already accepted or deleted'),
            408: problem('The body arrived too slowly (below SEAL_SIM_UPLOAD_MIN_BYTES_PER_SECOND) or not within SEAL_SIM_UPLOAD_TIMEOUT_MS; nothing was kept', 'request_timeout'),
            413: problem('The package, or a file inside it, is larger than the configured limits; `setting` names the limit'),
            415: problem('The body was sent as multipart/form-data instead of raw bytes'),
            429: problem('This API key already has SEAL_SIM_MAX_UPLOADS_PER_KEY uploads in progress; wait for one to finish', 'too_many_uploads'),
            507: problem("This API key's packages and results would pass SEAL_SIM_MAX_STORED_BYTES_PER_TENANT; delete batches you no longer need", 'storage_full'),
          },
        },
      },
      async (request, reply) => {
        refuseMultipart(request);
        const body = (request.body as Readable | undefined) ?? emptyBody();
        const { batch, package: pkg } = await service.upload(
          request.tenant,
          request.params.batchId,
          body,
          packageName(request.headers['content-disposition']),
        );
        return reply.code(202).send(json.uploaded(batch, pkg, processOf(batch.processId), keys.counterpartyOf(request.tenant)));
      },
    );
  });

  app.get<{ Params: IdParams }>(
    '/BatchStatus/:batchId',
    {
      schema: {
        ...vendor,
        operationId: 'BatchStatus',
        summary: '4. Poll the batch status and per-file results',
        description: [
          'Answers the batch\'s status by name and one row per file of its package. Allowed in every state, DELETED included.',
          '',
          `After AcceptBatch the batch moves ACCEPTED → READY → IN_PROGRESS → FINISHING → CLOSED on its own (how fast depends on the simulator's timing setting). Poll until \`status\` is CLOSED, then download. Each file's \`signed\` and \`signingResult_Success\` become true once it is sealed; a file the process could not seal stays false in a CLOSED batch (the vendor documents no failure status).`,
          '',
          '**Errors:** 400 for a malformed batchId; 404 for an unknown batch.',
          '',
          `**Simulator's decision:** ${config.statusTable === 'A' ? 'with status table A (the default) a batch with a package still reads NEW; table B shows UPLOADED.' : 'with status table B a batch with a package reads UPLOADED; table A would show NEW.'}`,
        ].join('\n'),
        params: batchIdParam,
        response: { 200: schemas.batchStatus, ...batchErrors },
      },
    },
    async (request) => json.status(service.status(request.tenant, request.params.batchId)),
  );

  app.delete<{ Params: IdParams }>(
    '/BatchDeleteCache/:batchId',
    {
      schema: {
        ...vendor,
        operationId: 'BatchDeleteCache',
        summary: '6. Delete the batch and its files',
        description: [
          'Removes the batch\'s package and result from the cache and marks it DELETED; answers the batch as BatchStatus does. Allowed in any state but DELETED. Afterwards only BatchStatus answers (with DELETED); every other call gets 409.',
          '',
          '**Errors:** 409 when the batch is already deleted; 404 for an unknown batch; 400 for a malformed batchId.',
        ].join('\n'),
        params: batchIdParam,
        response: { 200: schemas.batchDeleted, ...batchErrors, 409: problem('The batch was already deleted') },
      },
    },
    async (request) => json.deleted(await service.delete(request.tenant, request.params.batchId)),
  );

  await app.register(async (accept) => {
    // AcceptBatch takes the id from five places (docs/vendor-contract.md#acceptbatch); be lenient about bodies as
    // ASP.NET's lenient binders are: an empty body is "no body"; JSON, a form field and a bare
    // number are all fine, and a bare number is read whatever the Content-Type says (curl -d 113
    // sends it as a form; Python requests' data=str(id) sends no Content-Type at all).
    accept.removeAllContentTypeParsers();
    accept.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 4096 }, (request, raw, done) => {
      try {
        done(null, acceptBody(request.headers['content-type'], raw as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    const handler = async (request: FastifyRequest<{ Params: { batchId?: string }; Querystring: { batchId?: string } }>) => {
      const batch = service.accept(request.tenant, acceptBatchId(request));
      return json.accepted(batch, processOf(batch.processId));
    };
    const description = (where: string) =>
      [
        `Starts processing an uploaded batch: it becomes ACCEPTED and then moves on by itself to CLOSED (poll BatchStatus). ${where}`,
        '',
        'Allowed only once a package was uploaded (NEW with a package, or UPLOADED) and only once.',
        '',
        '**Errors:** 400 when no batch id, an invalid one, or two different ones are given; 409 when the batch has no package yet, was already accepted, or was deleted; 404 for an unknown batch.',
        '',
        '**Simulator\'s decisions:** the vendor\'s page lists `batchId` as a path parameter of a path that has none, so the simulator takes it from any of: the path `/api/AcceptBatch/{batchId}`, the query `?batchId=`, a JSON body `{"batchId": n}`, a form field `batchId`, or the bare number as the body (see docs/vendor-contract.md#acceptbatch). `status` is the real status code (ACCEPTED), where the vendor\'s example shows `"0"`.',
      ].join('\n');
    const response = {
      200: schemas.accepted,
      ...batchErrors,
      400: problem('No batch id given, an invalid one, or two different ones'),
      409: problem('The batch has no package yet, or was already accepted or deleted'),
      408: problem('The request body did not arrive within SEAL_SIM_REQUEST_TIMEOUT_MS', 'request_timeout'),
      413: problem('The request body is larger than 4 KiB'),
      415: problem('A body that is not a bare number, in a content type other than JSON, text or a form; the detail names the types read'),
      429: problem('A Prefer fault would pass SEAL_SIM_MAX_FAULTS_PER_TENANT; remove some faults first', 'too_many_faults'),
    };
    accept.post(
      '/AcceptBatch',
      {
        schema: {
          ...vendor,
          operationId: 'AcceptBatch',
          summary: '3. Accept the batch (id in the query or body)',
          description: description('This form takes the batch id from the query or the body; the next operation takes it from the path.'),
          // Declared for OpenAPI only: the id is read leniently by acceptBatchId(), not by a schema.
          'x-openapi-only': {
            parameters: [
              {
                name: 'batchId',
                in: 'query',
                required: false,
                description: 'The batch id (or give it in the body)',
                schema: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
                example: 1,
              },
            ],
            requestBody: {
              required: false,
              description:
                'The batch id, if not given in the query: a JSON object, a bare number, or a form field. A bare number is read with any Content-Type or none (curl -d 113 sends it as a form); a JSON object without a Content-Type is read as JSON.',
              content: {
                'application/json': {
                  schema: {
                    oneOf: [
                      { type: 'object', required: ['batchId'], properties: { batchId: { type: ['integer', 'string'], description: 'The batch id' } } },
                      { type: 'integer', description: 'The bare batch id' },
                    ],
                  },
                  example: { batchId: 1 },
                },
                'application/x-www-form-urlencoded': {
                  schema: { type: 'object', required: ['batchId'], properties: { batchId: { type: 'integer', description: 'The batch id' } } },
                },
                'text/plain': { schema: { type: 'string', pattern: '^\\d+$', description: 'The bare batch id' }, example: '1' },
              },
            },
          },
          response,
        },
      },
      handler,
    );
    accept.post(
      '/AcceptBatch/:batchId',
      {
        schema: {
          ...vendor,
          operationId: 'AcceptBatchById',
          summary: '3. Accept the batch (id in the path)',
          description: description('This form takes the batch id from the path, the simplest way to call it.'),
          // Not `idParam`: the path id is read by acceptBatchId() together with the other sources.
          'x-openapi-only': {
            parameters: [
              {
                name: 'batchId',
                in: 'path',
                required: true,
                description: 'The batch id CreateBatch returned',
                schema: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
                example: 1,
              },
            ],
          },
          response,
        },
      },
      handler,
    );
  });

  app.get<{ Params: IdParams }>(
    '/batchfile/:batchId',
    {
      schema: {
        ...vendor,
        operationId: 'batchfile',
        summary: '5. Download the signed package',
        description: [
          'Answers the result package as raw bytes (`application/octet-stream`, a flat ZIP named `batch-{batchId}-signed.zip`): every file as the process left it, sealed in place (PAdES, enveloped XAdES) or with its signature file beside it (`.p7s`, `.p7m`, `.xades.xml`); for the validate process, a report.',
          '',
          'Allowed only when the batch is CLOSED.',
          '',
          '**Errors:** 409 before CLOSED or after delete; 404 for an unknown batch; 503 when the worker could not produce the result (see the log).',
          '',
          '**Simulator\'s decision:** the vendor does not document the contents of the signed package; this layout is the simulator\'s.',
          '',
          VALIDATION_REPORT_DOC,
        ].join('\n'),
        params: batchIdParam,
        response: {
          200: zipDownload,
          ...batchErrors,
          409: problem('The batch is not CLOSED yet, or was deleted'),
          503: problem('The worker could not produce the result'),
        },
      },
    },
    async (request, reply) => {
      const result = await service.openResult(request.tenant, request.params.batchId);
      return reply
        .type('application/octet-stream')
        .header('content-length', result.size)
        .header('content-disposition', `attachment; filename="${result.fileName}"`)
        .send(result.stream);
    },
  );
}

/** A body the route does not read: drained and dropped, whatever its Content-Type. */
function ignoreBody(_request: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: unknown) => void): void {
  payload.on('error', (err) => done(err));
  payload.on('end', () => done(null, undefined));
  payload.resume();
}

/** The content types AcceptBatch reads (besides none at all). */
export const ACCEPT_BATCH_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded'] as const;

/**
 * AcceptBatch's body as its binders would read it: undefined when empty; a bare number (with any
 * Content-Type or none); a form's fields; JSON; else plain text (refused later by acceptBatchId
 * with the value shown). A Content-Type outside {@link ACCEPT_BATCH_TYPES} with a body that is
 * not a bare number is a 415 naming them.
 */
export function acceptBody(contentType: string | undefined, raw: string): unknown {
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^"?\d+"?$/.test(text)) return text.replaceAll('"', '');
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (type === '' || type === 'application/json' || type.endsWith('+json') || type === 'text/plain') {
    try {
      return JSON.parse(text);
    } catch {
      if (type === '' && text.includes('=')) return Object.fromEntries(new URLSearchParams(text));
      return text;
    }
  }
  throw new DomainError(
    'unsupported_media_type',
    `AcceptBatch does not read a body of Content-Type ${JSON.stringify(contentType)}. Send the batch id in the path (/api/AcceptBatch/{batchId}), the query (?batchId=), or a body of one of: ${ACCEPT_BATCH_TYPES.join(', ')} (or the bare number with any type).`,
  );
}

/** The vendor wants the ZIP as the raw body; multipart is the usual integrator mistake. */
function refuseMultipart(request: FastifyRequest): void {
  if ((request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) {
    throw new DomainError(
      'unsupported_media_type',
      'Send the ZIP itself as the request body (Content-Type: application/octet-stream), not as multipart/form-data.',
    );
  }
}

function emptyBody(): Readable {
  return Readable.from([]);
}

/** `Content-Disposition: attachment; filename="x.zip"` → x.zip (names only, never paths). */
export function packageName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  let name: string | undefined;
  try {
    name = star ? decodeURIComponent(star[1]!) : plain?.[1];
  } catch {
    name = plain?.[1];
  }
  const base = name?.split(/[\\/]/).pop()?.trim();
  return base && base.length <= 255 && !/[\u0000-\u001f]/.test(base) ? base : undefined;
}

/** Where AcceptBatch's id may be (docs/vendor-contract.md#acceptbatch): path, query, JSON body {"batchId": n}, form field batchId, or a bare number. */
export function acceptBatchId(request: FastifyRequest<{ Params: { batchId?: string }; Querystring: { batchId?: string } }>): number {
  const body = request.body as unknown;
  const fromBody =
    body === undefined || body === null
      ? undefined
      : typeof body === 'object' && !Array.isArray(body)
        ? Object.entries(body as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'batchid')?.[1]
        : body;
  const sources: [string, unknown][] = [
    ['path', request.params.batchId],
    ['query', request.query.batchId],
    ['body', fromBody],
  ];
  const found = new Map<number, string>();
  for (const [where, value] of sources) {
    if (value === undefined || value === '') continue;
    // Only a number or a string can be an id; anything else (an object whose toString is not a
    // function, say) is refused without being converted, which could throw.
    const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
      throw new DomainError('invalid_request', `batchId in the ${where} must be a positive integer, got ${JSON.stringify(value)}.`);
    }
    found.set(n, found.has(n) ? `${found.get(n)} and ${where}` : where);
  }
  if (found.size > 1) {
    const list = [...found].map(([n, where]) => `${n} (${where})`).join(' vs ');
    throw new DomainError('invalid_request', `Two different batch ids were given: ${list}. Give one.`);
  }
  const [id] = found.keys();
  if (id === undefined) {
    throw new DomainError(
      'invalid_request',
      'No batchId given. Put it in the path (/api/AcceptBatch/{batchId}), the query (?batchId=), a JSON body {"batchId": n}, a form field batchId, or send the bare number as the body.',
    );
  }
  return id;
}
