import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { ProcessCatalog } from '../domain/processes.js';
import type { TestPki } from '../signing/test-pki.js';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { timeStampResp } from '../signing/tsa.js';
import { apiKeyAuth } from './auth.js';
import { TSA_HASH_BODY, TSA_RFC3161_BODY } from '../contract/vendor-requests.js';
import { readByHandler } from './schema-compilers.js';
import { vendorOperation } from '../contract/vendor-operations.js';
import type { KeySettings } from '../key-settings.js';
import { API_KEY_OR_BASIC_SECURITY, API_KEY_SECURITY, idParam, problem, processNotFound, TAGS, unexpectedProblem } from './schemas.js';

/**
 * The vendor's TSA methods (docs/vendor-contract.md#tsa): real RFC 3161 tokens from the simulator's test TSA.
 * genTime comes from the caller's tenant clock.
 */
export async function tsaRoutes(
  app: FastifyInstance,
  opts: {
    config: Pick<Config, 'apiKeys' | 'auth'>;
    processes: Pick<ProcessCatalog, 'require'>;
    keys: Pick<KeySettings, 'requireProcess'>;
    clock: Clock;
    pki: TestPki;
  },
): Promise<void> {
  const { processes, keys, clock, pki } = opts;
  const errors = {
    400: problem('Not a DER TimeStampReq, a raw SHA-1/256/384/512 digest, or {"hash": base64}; the detail says which', 'invalid_request'),
    401: problem('No API key (or Basic credentials), or one the simulator was not configured with', 'unauthorized'),
    404: processNotFound(),
    413: problem('The body is larger than 64 KiB', 'body_too_large'),
  };

  await app.register(async (rfc3161) => {
    rfc3161.addHook('onRequest', apiKeyAuth(opts.config, { basic: true }));
    // The request is a small binary: a DER TimeStampReq or a bare digest, under its own types, or
    // under none or curl's default form type, when the body itself says what it is (sniffBody).
    rfc3161.removeAllContentTypeParsers();
    rfc3161.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: TSA_BODY_LIMIT }, (request, body, done) => {
      try {
        done(null, readTsaBody(request, body as Buffer, RFC3161_TYPES));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    // The body is what readTsaBody made of it: DER bytes, or the JSON hash object.
    rfc3161.withTypeProvider<TypeBoxTypeProvider>().post(
      '/stamp/rfc3161/:processId',
      {
        schema: {
          tags: [TAGS.vendor],
          ...vendorOperation('tsaStampRfc3161'),
          security: API_KEY_OR_BASIC_SECURITY,
          params: idParam('processId', 'A process id (as for CreateBatch)'),
          // Raw bytes are never schema-checked; a JSON hash sent here is read by the TSA itself.
          body: {
            ...TSA_RFC3161_BODY,
            content: { ...TSA_RFC3161_BODY.content, 'application/json': { schema: readByHandler(TSA_RFC3161_BODY.content['application/json'].schema) } },
          },
          response: {
            200: { description: 'A DER TimeStampResp', content: { 'application/timestamp-reply': { schema: { type: 'string', format: 'binary' } } } },
            ...errors,
            415: problem('A Content-Type this endpoint does not read; the detail names the ones it does', 'unsupported_media_type'),
            500: unexpectedProblem(),
          },
        },
      },
      async (request, reply) => {
        processes.require(request.params.processId);
        keys.requireProcess(request.tenant, request.params.processId);
        // The body is media-typed, so Fastify gives it no type: it is what readTsaBody made of it.
        const body: unknown = request.body ?? Buffer.alloc(0);
        const { tsa } = await pki.get();
        const now = clock.now(request.tenant);
        // A JSON {"hash"} sent here without a binary type: the same token, wrapped as RFC 3161 answers it.
        const answer = Buffer.isBuffer(body) ? tsa.respond(body, now) : timeStampResp(Buffer.from(tsa.stampJsonBody(body, now).token, 'base64'));
        return reply.type('application/timestamp-reply').send(answer);
      },
    );
  });

  await app.register(async (json) => {
    json.addHook('onRequest', apiKeyAuth(opts.config));
    // JSON under its own type, or under none or curl's default form type when the body is JSON.
    json.removeAllContentTypeParsers();
    json.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: TSA_BODY_LIMIT }, (request, body, done) => {
      try {
        const read = readTsaBody(request, body as Buffer, JSON_TYPES);
        if (Buffer.isBuffer(read)) {
          throw new DomainError(
            'unsupported_media_type',
            'This endpoint reads JSON {"hash": "<base64 digest>"} (application/json). Send a DER TimeStampReq or a raw digest to POST /tsa/stamp/rfc3161/{processId} instead.',
          );
        }
        done(null, read);
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    json.withTypeProvider<TypeBoxTypeProvider>().post(
      '/stamp/:processId',
      {
        schema: {
          tags: [TAGS.vendor],
          ...vendorOperation('tsaStampJson'),
          security: API_KEY_SECURITY,
          params: idParam('processId', 'A process id (as for CreateBatch)'),
          body: TSA_HASH_BODY,
          response: {
            200: {
              description: 'The time-stamp token',
              type: 'object',
              required: ['token'],
              properties: { token: { type: 'string', description: 'base64 DER TimeStampToken (CMS SignedData)' } },
            },
            ...errors,
            415: problem(
              'A Content-Type other than application/json, or a body without one that is not JSON; the detail says where binary requests go',
              'unsupported_media_type',
            ),
            500: unexpectedProblem(),
          },
        },
      },
      async (request) => {
        processes.require(request.params.processId);
        keys.requireProcess(request.tenant, request.params.processId);
        const { tsa } = await pki.get();
        return tsa.stampJsonBody(request.body, clock.now(request.tenant));
      },
    );
  });
}

const TSA_BODY_LIMIT = 64 * 1024;
const RFC3161_TYPES = ['application/timestamp-query', 'application/octet-stream'];
const JSON_TYPES = ['application/json'];
/** Types a client sends when it says nothing about the body: none at all, or curl -d's default. */
const UNSAID = new Set(['', 'application/x-www-form-urlencoded']);

/**
 * A TSA request body as the route should read it: a Buffer (DER TimeStampReq or raw digest) or
 * parsed JSON. Declared types are taken at their word; with no type (or curl's default form type)
 * the body decides: a first non-blank `{` is JSON, anything else the binary request. Any other
 * type is a 415 naming the types the route reads.
 */
export function readTsaBody(request: FastifyRequest, body: Buffer, declared: readonly string[]): Buffer | unknown {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const looksJson = body.toString('latin1', 0, Math.min(body.length, 64)).trimStart().startsWith('{');
  const readJson = () => {
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch (e) {
      throw new DomainError('invalid_request', `The body is not valid JSON: ${(e as Error).message}. Send {"hash": "<base64 digest>"}.`);
    }
  };
  if (type === 'application/json' || type.endsWith('+json')) return readJson();
  if (RFC3161_TYPES.includes(type) && declared.includes(type)) return body;
  if (UNSAID.has(type)) return looksJson ? readJson() : body;
  throw new DomainError(
    'unsupported_media_type',
    `Content-Type ${JSON.stringify(request.headers['content-type'])} is not one this endpoint reads. Send one of: ${[...declared, 'none (the body is recognised by its first byte)'].join(', ')}.${
      declared.some((t) => RFC3161_TYPES.includes(t)) ? '' : ' A DER TimeStampReq or a raw digest goes to POST /tsa/stamp/rfc3161/{processId}.'
    }`,
  );
}
