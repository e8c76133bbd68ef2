import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { ProcessCatalog } from '../domain/processes.js';
import type { TestPki } from '../signing/test-pki.js';
import { apiKeyAuth } from './auth.js';
import { API_KEY_OR_BASIC_SECURITY, API_KEY_SECURITY, idParam, problem, TAGS, unexpectedProblem } from './schemas.js';

/**
 * The vendor's TSA methods (docs/vendor-contract.md#tsa): real RFC 3161 tokens from the simulator's test TSA.
 * genTime comes from the caller's tenant clock.
 */
export async function tsaRoutes(app: FastifyInstance, opts: { config: Config; processes: ProcessCatalog; clock: Clock; pki: TestPki }): Promise<void> {
  const { processes, clock, pki } = opts;
  const errors = {
    400: problem('Not a DER TimeStampReq, a raw SHA-1/256/384/512 digest, or {"hash": base64}; the detail says which'),
    401: problem('No API key (or Basic credentials), or one the simulator was not configured with'),
    404: problem('No process with this id', 'process_not_found'),
  };

  await app.register(async (rfc3161) => {
    rfc3161.addHook('onRequest', apiKeyAuth(opts.config, { basic: true }));
    // The request is a small binary: a DER TimeStampReq or a bare digest.
    rfc3161.addContentTypeParser(['application/timestamp-query', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) =>
      done(null, body),
    );
    rfc3161.post<{ Params: { processId: number }; Body: Buffer | undefined }>(
      '/stamp/rfc3161/:processId',
      {
        schema: {
          tags: [TAGS.vendor],
          operationId: 'tsaStampRfc3161',
          summary: 'Time-stamp a hash (RFC 3161)',
          description:
            'Send a DER `TimeStampReq` (`application/timestamp-query`, e.g. from `openssl ts -query`) or a raw SHA-1/256/384/512 digest (20/32/48/64 bytes, `application/octet-stream`). Answers a DER `TimeStampResp` (`application/timestamp-reply`) from the simulator\'s test TSA, honouring the nonce and certReq. Time-stamps are issued under policy 1.2.3.4.1; a request naming another `reqPolicy` gets a TimeStampResp with status rejection and failInfo unacceptedPolicy (still HTTP 200, as RFC 3161 has it). Auth: API-KEY header or HTTP Basic. [decision] The vendor documents neither the request formats accepted nor the response body; the simulator answers what RFC 3161 clients expect.',
          security: API_KEY_OR_BASIC_SECURITY,
          params: idParam('processId', 'A process id (as for CreateBatch)'),
          'x-openapi-only': {
            requestBody: {
              required: true,
              content: {
                'application/timestamp-query': { schema: { type: 'string', format: 'binary' } },
                'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              },
            },
          },
          response: {
            200: { description: 'A DER TimeStampResp', content: { 'application/timestamp-reply': { schema: { type: 'string', format: 'binary' } } } },
            ...errors,
            415: problem('Send application/timestamp-query or application/octet-stream'),
            500: unexpectedProblem(),
          },
        },
      },
      async (request, reply) => {
        processes.require(request.params.processId);
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const { tsa } = await pki.get();
        return reply.type('application/timestamp-reply').send(tsa.respond(body, clock.now(request.tenant)));
      },
    );
  });

  await app.register(async (json) => {
    json.addHook('onRequest', apiKeyAuth(opts.config));
    json.post<{ Params: { processId: number }; Body: unknown }>(
      '/stamp/:processId',
      {
        schema: {
          tags: [TAGS.vendor],
          operationId: 'tsaStampJson',
          summary: 'Time-stamp a hash (JSON)',
          description:
            'Send `{"hash": "<base64 of a SHA-1/256/384/512 digest>"}`. Answers `{"token": "<base64 DER TimeStampToken>"}`. Auth: API-KEY header. [decision] The vendor does not document the response body.',
          security: API_KEY_SECURITY,
          params: idParam('processId', 'A process id (as for CreateBatch)'),
          body: { type: 'object', required: ['hash'], properties: { hash: { type: 'string', examples: ['n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg='] } } },
          response: {
            200: { description: 'The time-stamp token', type: 'object', required: ['token'], properties: { token: { type: 'string', description: 'base64 DER TimeStampToken (CMS SignedData)' } } },
            ...errors,
            500: unexpectedProblem(),
          },
        },
      },
      async (request) => {
        processes.require(request.params.processId);
        const { tsa } = await pki.get();
        return tsa.stampJsonBody(request.body, clock.now(request.tenant));
      },
    );
  });
}
