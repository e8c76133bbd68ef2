import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { BatchService } from '../domain/batch-service.js';
import { DomainError } from '../domain/errors.js';
import type { ProcessDef } from '../domain/process.js';
import type { ProcessCatalog } from '../domain/processes.js';
import { apiKeyAuth } from './auth.js';
import { idParam, problem, responseSchemas } from './schemas.js';
import { vendorJson } from './vendor-json.js';

export interface BatchRoutesOptions {
  config: Config;
  service: BatchService;
  processes: ProcessCatalog;
}

type IdParams = { batchId: number };

/**
 * The six vendor batch routes under /api (SPEC §2). Adapters only: validated values in, one
 * service call, a body shaped by the vendor presenter and the response schema.
 */
export async function batchRoutes(app: FastifyInstance, opts: BatchRoutesOptions): Promise<void> {
  const { config, service, processes } = opts;
  const json = vendorJson({ style: config.json, statusTable: config.statusTable, counterpartyId: '1' });
  const schemas = responseSchemas(config.json);
  const processOf = (processId: number): ProcessDef => processes.get(processId)!;
  const common = {
    401: problem('No API-KEY header, or a key the simulator was not configured with'),
  };
  const batchErrors = {
    ...common,
    400: problem('batchId is not a positive integer'),
    404: problem('No batch with this id for this API key'),
  };

  app.addHook('onRequest', apiKeyAuth(config));

  app.post<{ Params: { processId: number } }>(
    '/CreateBatch/:processId',
    {
      schema: {
        params: idParam('processId', 'The process that will seal or validate the files (SPEC §6)'),
        response: {
          201: schemas.batchCreated,
          ...common,
          400: problem('processId is not an integer'),
          404: problem('No process with this id'),
        },
      },
    },
    async (request, reply) => {
      const batch = service.createBatch(request.tenant, request.params.processId);
      return reply.code(201).send(json.created(batch, processOf(batch.processId)));
    },
  );

  await app.register(async (upload) => {
    // The body is the raw ZIP; hand the stream to the service untouched (no buffering, no limit
    // here: the intake enforces SEAL_SIM_MAX_UPLOAD_BYTES while streaming to disk).
    upload.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    upload.post<{ Params: IdParams }>(
      '/upload/:batchId',
      {
        schema: {
          params: idParam('batchId', 'The id CreateBatch returned'),
          response: {
            202: schemas.uploadReceipt,
            ...batchErrors,
            400: problem('Not a flat, well-formed ZIP, or batchId is not an integer; `entry` names the offending file'),
            409: problem('The batch was already accepted or deleted'),
            413: problem('The package, or a file inside it, is larger than the configured limits'),
            415: problem('The body was sent as multipart/form-data instead of raw bytes'),
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
        return reply.code(202).send(json.uploaded(batch, pkg, processOf(batch.processId)));
      },
    );
  });

  app.get<{ Params: IdParams }>(
    '/BatchStatus/:batchId',
    { schema: { params: idParam('batchId', 'The id CreateBatch returned'), response: { 200: schemas.batchStatus, ...batchErrors } } },
    async (request) => json.status(service.status(request.tenant, request.params.batchId)),
  );

  app.delete<{ Params: IdParams }>(
    '/BatchDeleteCache/:batchId',
    {
      schema: {
        params: idParam('batchId', 'The id CreateBatch returned'),
        response: { 200: schemas.batchStatus, ...batchErrors, 409: problem('The batch was already deleted') },
      },
    },
    async (request) => json.deleted(await service.delete(request.tenant, request.params.batchId)),
  );

  await app.register(async (accept) => {
    // AcceptBatch takes the id from five places (SPEC §2 [decision]); be lenient about bodies:
    // an empty JSON body is "no body", a form field and a bare number are both fine.
    accept.removeContentTypeParser(['application/json', 'text/plain']);
    accept.addContentTypeParser(['application/json', 'text/plain', 'application/x-www-form-urlencoded'], { parseAs: 'string', bodyLimit: 4096 }, (request, raw, done) => {
      const text = (raw as string).trim();
      if (text === '') return done(null, undefined);
      const type = request.headers['content-type'] ?? '';
      if (type.startsWith('application/x-www-form-urlencoded')) return done(null, Object.fromEntries(new URLSearchParams(text)));
      try {
        done(null, JSON.parse(text));
      } catch {
        done(null, text);
      }
    });
    const handler = async (request: FastifyRequest<{ Params: { batchId?: string }; Querystring: { batchId?: string } }>) => {
      const batch = service.accept(request.tenant, acceptBatchId(request));
      return json.accepted(batch, processOf(batch.processId));
    };
    const schema = {
      response: {
        200: schemas.accepted,
        ...batchErrors,
        400: problem('No batch id given, an invalid one, or two different ones'),
        409: problem('The batch has no package yet, or was already accepted or deleted'),
      },
    };
    accept.post('/AcceptBatch', { schema }, handler);
    accept.post('/AcceptBatch/:batchId', { schema }, handler);
  });

  app.get<{ Params: IdParams }>(
    '/batchfile/:batchId',
    {
      schema: {
        params: idParam('batchId', 'The id CreateBatch returned'),
        response: {
          200: { description: 'The result package (ZIP)', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          ...batchErrors,
          409: problem('The batch is not CLOSED yet, or was deleted'),
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
  // eslint-disable-next-line no-control-regex
  return base && base.length <= 255 && !/[\u0000-\u001f]/.test(base) ? base : undefined;
}

/** SPEC §2 [decision]: path, query, JSON body {"batchId": n}, form field batchId, or a bare number. */
export function acceptBatchId(request: FastifyRequest<{ Params: { batchId?: string }; Querystring: { batchId?: string } }>): number {
  const body = request.body as unknown;
  const fromBody =
    body === undefined || body === null
      ? undefined
      : typeof body === 'object' && !Array.isArray(body)
        ? (body as Record<string, unknown>).batchId ?? (body as Record<string, unknown>).BatchId
        : body;
  const sources: [string, unknown][] = [
    ['path', request.params.batchId],
    ['query', request.query.batchId],
    ['body', fromBody],
  ];
  const found = new Map<number, string>();
  for (const [where, value] of sources) {
    if (value === undefined || value === '') continue;
    const text = String(value).trim();
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
