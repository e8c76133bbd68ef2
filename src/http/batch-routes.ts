import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { BatchService } from '../domain/batch-service.js';
import type { ProcessDef } from '../domain/process.js';
import type { ProcessCatalog } from '../domain/processes.js';
import { apiKeyAuth } from './auth.js';
import { recordCreatedBatch } from './created-batch.js';
import { vendorBodySchemas } from '../contract/vendor-bodies.js';
import { vendorOperation } from '../contract/vendor-operations.js';
import { ACCEPT_BATCH_REQUEST, UPLOAD_REQUEST } from '../contract/vendor-requests.js';
import { readByHandler } from './schema-compilers.js';
import { API_KEY_SECURITY, idParam, problem, processNotFound, TAGS, unexpectedProblem, zipDownload } from './schemas.js';
import { vendorDateFormat, vendorJson } from './vendor-json.js';
import { acceptBatchId, acceptBody, emptyBody, ignoreBody, packageName, refuseMultipart } from './vendor-readers.js';
import type { KeySettings } from '../key-settings.js';

export interface BatchRoutesOptions {
  /** Who may call (apiKeys, auth) and how vendor bodies are written (json, statusTable, profile). */
  config: Pick<Config, 'apiKeys' | 'auth' | 'json' | 'statusTable' | 'profile'>;
  service: BatchService;
  processes: ProcessCatalog;
  keys: Pick<KeySettings, 'requireProcess' | 'counterpartyOf'>;
}

/**
 * The six vendor batch routes under /api (docs/vendor-contract.md#endpoints). Adapters only: validated values in, one
 * service call, a body shaped by the vendor presenter and the response schema.
 */
export async function batchRoutes(plugin: FastifyInstance, opts: BatchRoutesOptions): Promise<void> {
  // Params, bodies and replies are typed from the route schemas (TypeBox).
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { config, service, processes, keys } = opts;
  const json = vendorJson({ style: config.json, statusTable: config.statusTable, counterpartyId: '1', date: vendorDateFormat(config.profile.dates) });
  const schemas = vendorBodySchemas(config.json, config.statusTable);
  const processOf = (processId: number): ProcessDef => processes.get(processId)!;
  // OpenAPI: every vendor operation is tagged as the vendor's and needs the API-KEY header.
  const vendor = { tags: [TAGS.vendor], security: API_KEY_SECURITY };
  const common = {
    401: problem('No API-KEY header, or a key the simulator was not configured with', 'unauthorized'),
    500: unexpectedProblem(),
  };
  const batchErrors = {
    ...common,
    400: problem('batchId is not a positive integer', 'invalid_request'),
    404: problem('No batch with this id for this API key (a batch created with another key is invisible)', 'batch_not_found'),
  };
  const batchIdParam = idParam('batchId', 'The batch id CreateBatch returned');

  app.addHook('onRequest', apiKeyAuth(config));
  // CreateBatch, BatchStatus, BatchDeleteCache and batchfile bind nothing from the body, and an
  // ASP.NET action that binds nothing from the body never reads it: whatever body and Content-Type
  // a client sends along is ignored, not refused. (Upload and AcceptBatch set their own parsers.)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', ignoreBody);

  app.post(
    '/CreateBatch/:processId',
    {
      schema: {
        ...vendor,
        ...vendorOperation('CreateBatch'),
        params: idParam('processId', 'The process that will seal or validate the files (see GET /_simulator/processes)', 1),
        response: {
          201: schemas.batchCreated,
          ...common,
          400: problem('processId is not a positive integer', 'invalid_request'),
          404: processNotFound(),
          429: problem(
            'This API key holds SEAL_SIM_MAX_BATCHES_PER_TENANT batches already (delete some), or a Prefer fault would pass SEAL_SIM_MAX_FAULTS_PER_TENANT; `setting` names the limit',
            'too_many_batches',
          ),
        },
      },
    },
    async (request, reply) => {
      keys.requireProcess(request.tenant, request.params.processId);
      const batch = service.createBatch(request.tenant, request.params.processId);
      recordCreatedBatch(request, batch.id);
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
    upload.withTypeProvider<TypeBoxTypeProvider>().post(
      '/upload/:batchId',
      {
        config: { streamsOwnBody: true }, // its deadline and minimum rate are the intake's (src/http/slow-clients.ts)
        schema: {
          ...vendor,
          ...vendorOperation('upload'),
          params: batchIdParam,
          // The body is the raw ZIP (never schema-checked); the header is read by packageName(),
          // which ignores a name it cannot use.
          body: UPLOAD_REQUEST.body,
          headers: UPLOAD_REQUEST.headers,
          response: {
            202: schemas.uploadReceipt,
            ...batchErrors,
            400: problem('Not a flat, well-formed ZIP, or batchId is not a positive integer; `reason` and `entry` name the fault', 'package_invalid'),
            409: problem('The batch was already accepted or deleted', 'wrong_state'),
            408: problem(
              'The body arrived too slowly (below SEAL_SIM_UPLOAD_MIN_BYTES_PER_SECOND) or not within SEAL_SIM_UPLOAD_TIMEOUT_MS; nothing was kept',
              'request_timeout',
            ),
            413: problem('The package, or a file inside it, is larger than the configured limits; `setting` names the limit', 'package_too_large'),
            415: problem('The body was sent as multipart/form-data instead of raw bytes', 'unsupported_media_type'),
            429: problem('This API key already has SEAL_SIM_MAX_UPLOADS_PER_KEY uploads in progress; wait for one to finish', 'too_many_uploads'),
            507: problem(
              "This API key's packages and results would pass SEAL_SIM_MAX_STORED_BYTES_PER_TENANT; delete batches you no longer need",
              'storage_full',
            ),
          },
        },
      },
      async (request, reply) => {
        refuseMultipart(request);
        const body = (request.body as Readable | undefined) ?? emptyBody();
        const { batch, package: pkg } = await service.upload(request.tenant, request.params.batchId, body, packageName(request.headers['content-disposition']));
        return reply.code(202).send(json.uploaded(batch, pkg, processOf(batch.processId), keys.counterpartyOf(request.tenant)));
      },
    );
  });

  app.get(
    '/BatchStatus/:batchId',
    {
      schema: {
        ...vendor,
        ...vendorOperation('BatchStatus'),
        params: batchIdParam,
        response: { 200: schemas.batchStatus, ...batchErrors },
      },
    },
    async (request) => json.status(service.status(request.tenant, request.params.batchId)),
  );

  app.delete(
    '/BatchDeleteCache/:batchId',
    {
      schema: {
        ...vendor,
        ...vendorOperation('BatchDeleteCache'),
        params: batchIdParam,
        response: { 200: schemas.batchDeleted, ...batchErrors, 409: problem('The batch was already deleted', 'wrong_state') },
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
    // acceptBatchId() reads the id from all five places itself and says where it looked: Fastify
    // neither validates nor coerces these parts (./schema-compilers.ts).
    const byHandler = {
      path: readByHandler(ACCEPT_BATCH_REQUEST.path),
      query: readByHandler(ACCEPT_BATCH_REQUEST.query),
      body: {
        ...ACCEPT_BATCH_REQUEST.body,
        content: Object.fromEntries(
          Object.entries(ACCEPT_BATCH_REQUEST.body.content).map(([type, media]) => [type, { ...media, schema: readByHandler(media.schema) }]),
        ),
      },
    };
    const response = {
      200: schemas.accepted,
      ...batchErrors,
      400: problem('No batch id given, an invalid one, or two different ones', 'invalid_request'),
      409: problem('The batch has no package yet, or was already accepted or deleted', 'wrong_state'),
      408: problem('The request body did not arrive within SEAL_SIM_REQUEST_TIMEOUT_MS', 'request_timeout'),
      413: problem('The request body is larger than 4 KiB', 'body_too_large'),
      415: problem(
        'A body that is not a bare number, in a content type other than JSON, text or a form; the detail names the types read',
        'unsupported_media_type',
      ),
      429: problem('A Prefer fault would pass SEAL_SIM_MAX_FAULTS_PER_TENANT; remove some faults first', 'too_many_faults'),
    };
    accept.post(
      '/AcceptBatch',
      {
        schema: {
          ...vendor,
          ...vendorOperation('AcceptBatch'),
          querystring: byHandler.query,
          body: byHandler.body,
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
          ...vendorOperation('AcceptBatchById'),
          params: byHandler.path,
          response,
        },
      },
      handler,
    );
  });

  app.get(
    '/batchfile/:batchId',
    {
      schema: {
        ...vendor,
        ...vendorOperation('batchfile'),
        params: batchIdParam,
        response: {
          200: zipDownload,
          ...batchErrors,
          409: problem('The batch is not CLOSED yet, or was deleted', 'wrong_state'),
          503: problem('The worker could not produce the result', 'unavailable'),
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
