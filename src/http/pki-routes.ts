import type { FastifyInstance, FastifyReply } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { CRL_REASONS, type CrlReason } from '../signing/ocsp.js';
import type { LoadedTestPki, TestPki } from '../signing/test-pki.js';
import { controlGuard } from './control-access.js';
import { NO_SECURITY, problem, TAGS } from './schemas.js';

/** CRLReason names (RFC 5280 §5.3.1), as the revocation route accepts them. */
const REASON_NAMES = Object.keys(CRL_REASONS) as CrlReason[];

const OCSP_RESPONSE = 'application/ocsp-response';
/** Largest OCSP request accepted (a request for a few certificates is a few hundred bytes). */
const OCSP_MAX_BYTES = 16 * 1024;

/**
 * The test PKI, published so integrators and validators can trust and check it (no API key
 * needed): the CA, the leaf certificates, the CRL and an OCSP responder under /_simulator/pki/.
 * The revocation control routes beside them are guarded by the admin token like the rest of the
 * control API.
 */
export async function pkiRoutes(app: FastifyInstance, opts: { pki: TestPki; adminToken: string | null }): Promise<void> {
  type Pick = (p: LoadedTestPki) => string | Buffer;
  const files: [string, string, string, Pick][] = [
    ['ca.pem', 'The test root CA (PEM): the one trust anchor to verify sealed packages with', 'application/x-pem-file', (p) => p.pki.material.caPem],
    ['ca.der', 'The test root CA (DER); the caIssuers address in every certificate it issued', 'application/pkix-cert', (p) => p.pki.ca.der],
    [
      'ca.crl',
      "The CA's current certificate revocation list (DER, v2, with a CRL number); the CRL distribution point of every certificate it issued",
      'application/pkix-crl',
      (p) => p.revocations.currentCrlDer(new Date()),
    ],
    ['seal.pem', 'The seal certificate (qualified e-seal profile, TEST)', 'application/x-pem-file', (p) => p.pki.material.sealPem],
    ['tsa.pem', 'The time-stamping authority certificate (TEST)', 'application/x-pem-file', (p) => p.pki.material.tsaPem],
    [
      'ocsp.pem',
      'The delegated OCSP responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck; TEST)',
      'application/x-pem-file',
      (p) => p.pki.material.ocspPem,
    ],
  ];
  for (const [name, summary, type, pick] of files) {
    app.get(
      `/${name}`,
      {
        schema: {
          tags: [TAGS.simulator],
          security: NO_SECURITY,
          operationId: `pki${name.replace(/\W/g, '')}`,
          summary,
          description:
            'Made once per data directory from keys kept in the per-user cache (or issued from the CA given by SEAL_SIM_PKI_CA_CERT/_KEY). Every name in it says TEST. Certificates point to this CRL, the CA and the OCSP responder under SEAL_SIM_PUBLIC_URL (default: the address bound).',
          response: { 200: { description: summary, content: { [type]: { schema: { type: 'string', format: 'binary' } } } } },
        },
      },
      async (_request, reply) => {
        const loaded = await opts.pki.get();
        return reply.type(type).header('content-disposition', `inline; filename="seal-simulator-${name}"`).send(pick(loaded));
      },
    );
  }

  const answer = async (reply: FastifyReply, der: Buffer) => {
    const { revocations } = await opts.pki.get();
    // No caching: revocation is steerable, and a test expects the next answer to follow at once.
    return reply.type(OCSP_RESPONSE).header('cache-control', 'no-store').send(revocations.respond(der, new Date()));
  };
  const ocspDescription =
    'RFC 6960 OCSP responder for certificates of the test CA: `good`, `revoked` (with time and reason; see POST /_simulator/pki/revocations) or `unknown` (another issuer, or a serial the CA never issued). Signed by the delegated responder certificate (/_simulator/pki/ocsp.pem); the request nonce is echoed. A body that is not an OCSPRequest gets the OCSP status malformedRequest (HTTP 200, as RFC 6960 has it). Every seal and TSA certificate names this address in its Authority Information Access.';
  const ocspOk = { 200: { description: 'A DER OCSPResponse', content: { [OCSP_RESPONSE]: { schema: { type: 'string', format: 'binary' } } } } };

  await app.register(async (ocsp) => {
    ocsp.addContentTypeParser(['application/ocsp-request', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: OCSP_MAX_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    ocsp.post<{ Body: Buffer | undefined }>(
      '/ocsp',
      {
        schema: {
          tags: [TAGS.simulator],
          security: NO_SECURITY,
          operationId: 'pkiOcspPost',
          summary: 'OCSP (POST application/ocsp-request)',
          description: ocspDescription,
          body: { required: true, content: { 'application/ocsp-request': { schema: { type: 'string', format: 'binary' } } } },
          response: { ...ocspOk, 415: problem('Send application/ocsp-request', 'unsupported_media_type') },
        },
      },
      async (request, reply) => {
        // JSON and forms have parsers of their own; an OCSP request is DER.
        if (request.body !== undefined && !Buffer.isBuffer(request.body)) {
          throw new DomainError('unsupported_media_type', 'Send the DER OCSPRequest as application/ocsp-request (RFC 6960 appendix A).');
        }
        return answer(reply, request.body ?? Buffer.alloc(0));
      },
    );
    ocsp.get(
      '/ocsp/*',
      {
        schema: {
          tags: [TAGS.simulator],
          security: NO_SECURITY,
          operationId: 'pkiOcspGet',
          summary: 'OCSP (GET /ocsp/{url-encoded base64 DER OCSPRequest})',
          description: ocspDescription,
          params: {
            type: 'object',
            properties: {
              '*': {
                type: 'string',
                description: 'The DER OCSPRequest, base64, URL-encoded or not (RFC 6960 appendix A.1)',
                examples: ['MAA='],
              },
            },
          },
          response: {
            ...ocspOk,
            400: problem('The path after /ocsp/ is not base64 (or not valid percent-encoding): it cannot carry an OCSPRequest', 'invalid_request'),
          },
        },
      },
      async (request, reply) => {
        // Taken from the raw URL: base64 holds '/', '+' and '=', which clients encode or not.
        const path = request.url.split('?')[0]!;
        const rest = path.slice(path.toLowerCase().indexOf('/ocsp/') + '/ocsp/'.length);
        let text: string;
        try {
          text = decodeURIComponent(rest);
        } catch {
          text = '\u0000';
        }
        // Base64 that is no OCSPRequest gets the OCSP status malformedRequest; a path that is not
        // base64 at all is an HTTP-level mistake (a wrong URL), answered as one.
        if (!/^[A-Za-z0-9+/=\s]*$/.test(text)) {
          throw new DomainError(
            'invalid_request',
            'The GET form carries the DER OCSPRequest base64-encoded (and URL-encoded) after /_simulator/pki/ocsp/ (RFC 6960 appendix A.1); this path is not base64.',
          );
        }
        return answer(reply, Buffer.from(text, 'base64'));
      },
    );
  });

  await app.register(async (control) => {
    control.addHook('onRequest', controlGuard({ adminToken: opts.adminToken }));
    const errors = {
      400: problem('Unknown certificate, bad reason or time; the detail says which', 'invalid_request'),
      401: problem('Admin token missing or wrong', 'unauthorized'),
    };
    const entry = {
      type: 'object',
      required: ['serial', 'role', 'subject', 'revokedAt', 'reason'],
      properties: {
        serial: { type: 'string', description: 'Serial number, lower-case hex' },
        role: { type: ['string', 'null'], description: 'seal, tsa, expired-seal, revoked-seal, ocsp (null: a serial only)' },
        subject: { type: ['string', 'null'] },
        revokedAt: { type: 'string', format: 'date-time' },
        reason: { type: 'string', enum: [...REASON_NAMES] },
      },
    } as const;
    const state = {
      type: 'object',
      required: ['crlNumber', 'revoked', 'certificates'],
      properties: {
        crlNumber: { type: 'integer', description: 'Number of the last CRL issued (0: none yet)' },
        revoked: { type: 'array', items: entry },
        certificates: {
          type: 'array',
          description: 'Every certificate the test CA issued, newest first (leaves are issued again when the public URL changes)',
          items: {
            type: 'object',
            required: ['serial', 'role', 'subject', 'issuedAt', 'status'],
            properties: {
              serial: { type: 'string' },
              role: { type: 'string' },
              subject: { type: 'string' },
              issuedAt: { type: 'string', format: 'date-time' },
              status: { type: 'string', enum: ['good', 'revoked'] },
            },
          },
        },
      },
    } as const;
    const view = (r: LoadedTestPki['revocations']) => {
      const now = new Date();
      return {
        crlNumber: r.crlNumber(),
        revoked: r.list(),
        certificates: r.issued().map((c) => ({ ...c, status: r.statusOf(c.serial, now).status === 'revoked' ? 'revoked' : 'good' })),
      };
    };
    const which = (e: unknown): never => {
      throw new DomainError('invalid_request', (e as Error).message);
    };

    control.get(
      '/revocations',
      {
        schema: {
          tags: [TAGS.control],
          security: NO_SECURITY,
          operationId: 'simPkiRevocations',
          summary: 'Revocation state of the test CA',
          description: 'What the CRL and the OCSP responder say: the revoked certificates, the last CRL number, and every certificate the CA issued.',
          response: { 200: state, 401: errors[401] },
        },
      },
      async () => view((await opts.pki.get()).revocations),
    );

    control.post<{ Body: { certificate: string; reason?: CrlReason; revokedAt?: string } }>(
      '/revocations',
      {
        schema: {
          tags: [TAGS.control],
          security: NO_SECURITY,
          operationId: 'simPkiRevoke',
          summary: 'Revoke a certificate of the test CA',
          description:
            'The CRL (next CRL number) and OCSP follow at once. `certificate`: a role (`seal`, `tsa`, `expired-seal`) or a serial number in hex. This acts on the one PKI every tenant shares: revoking `seal` makes every seal made from then on (and, for validators, before it) fail revocation checks until DELETE /_simulator/pki/revocations/{serial}. For one tenant or one file, the fault `revoked-cert` seals with a certificate that is revoked from the start instead.',
          body: {
            type: 'object',
            required: ['certificate'],
            additionalProperties: false,
            properties: {
              certificate: { type: 'string', minLength: 1, examples: ['seal'] },
              reason: { type: 'string', enum: [...REASON_NAMES], default: 'keyCompromise' },
              revokedAt: { type: 'string', format: 'date-time', description: 'Default now; not in the future' },
            },
          },
          response: { 201: entry, ...errors },
        },
      },
      async (request, reply) => {
        const { revocations } = await opts.pki.get();
        const now = new Date();
        const at = request.body.revokedAt === undefined ? now : new Date(request.body.revokedAt);
        if (Number.isNaN(at.getTime()) || at.getTime() > now.getTime() + 1000) {
          throw new DomainError('invalid_request', 'revokedAt must be an ISO 8601 date-time that is not in the future');
        }
        const done = await revocations.revoke(request.body.certificate, request.body.reason ?? 'keyCompromise', at).catch(which);
        return reply.code(201).send(done);
      },
    );

    control.delete<{ Params: { serial: string } }>(
      '/revocations/:serial',
      {
        schema: {
          tags: [TAGS.control],
          security: NO_SECURITY,
          operationId: 'simPkiUnrevoke',
          summary: 'Take a certificate off the revocation list again',
          description:
            'A test convenience (real CAs do this only for certificateHold). `serial`: hex, or a role such as `seal`. The next CRL (next number) no longer lists it; OCSP answers good. Idempotent.',
          params: { type: 'object', required: ['serial'], properties: { serial: { type: 'string', examples: ['seal'] } } },
          response: { 204: { description: 'Not on the list (any more)', type: 'null' }, ...errors },
        },
      },
      async (request, reply) => {
        const { revocations } = await opts.pki.get();
        await revocations.restore(request.params.serial).catch(which); // idempotent: not revoked is fine
        return reply.code(204).send();
      },
    );
  });
}
