import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { documentOrder } from '../contract/json-schema.js';
import { type SimulatorOperationId, simulatorOperation } from '../contract/simulator-operations.js';
import { DomainError } from '../domain/errors.js';
import { type Static, Type } from '../domain/json-schema.js';
import { CRL_REASONS, type CrlReason } from '../signing/ocsp.js';
import type { LoadedTestPki, TestPki } from '../signing/test-pki.js';
import { ADMIN_UNAUTHORIZED, controlGuard } from './control-access.js';
import { noContent, problem, TAGS, simulatorGroup } from './schemas.js';

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
export async function pkiRoutes(plugin: FastifyInstance, opts: { pki: TestPki; adminToken: string | null }): Promise<void> {
  // Params, bodies and replies are typed from the route schemas (TypeBox).
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  type Pick = (p: LoadedTestPki) => string | Buffer;
  const files: [string, string, Pick][] = [
    ['ca.pem', 'application/x-pem-file', (p) => p.pki.material.caPem],
    ['ca.der', 'application/pkix-cert', (p) => p.pki.ca.der],
    ['ca.crl', 'application/pkix-crl', (p) => p.revocations.currentCrlDer(new Date())],
    ['seal.pem', 'application/x-pem-file', (p) => p.pki.material.sealPem],
    ['tsa.pem', 'application/x-pem-file', (p) => p.pki.material.tsaPem],
    ['ocsp.pem', 'application/x-pem-file', (p) => p.pki.material.ocspPem],
  ];
  for (const [name, type, pick] of files) {
    const doc = simulatorOperation(`pki${name.replace(/\W/g, '')}` as SimulatorOperationId);
    app.get(
      `/${name}`,
      {
        schema: {
          ...simulatorGroup(TAGS.simulator),
          ...doc,
          response: { 200: { description: doc.summary, content: { [type]: { schema: { type: 'string', format: 'binary' } } } } },
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
  const ocspOk = { 200: { description: 'A DER OCSPResponse', content: { [OCSP_RESPONSE]: { schema: { type: 'string', format: 'binary' } } } } };

  await app.register(async (ocsp) => {
    ocsp.addContentTypeParser(['application/ocsp-request', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: OCSP_MAX_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    ocsp.post(
      '/ocsp',
      {
        schema: {
          ...simulatorGroup(TAGS.simulator),
          ...simulatorOperation('pkiOcspPost'),
          body: { required: true, content: { 'application/ocsp-request': { schema: { type: 'string', format: 'binary' } } } },
          response: { ...ocspOk, 415: problem('Send application/ocsp-request', 'unsupported_media_type') },
        },
      },
      async (request, reply) => {
        // The DER bytes (./pki-routes' parser above), or nothing; JSON and forms have parsers of their own.
        const body: unknown = request.body;
        if (body === undefined) return answer(reply, Buffer.alloc(0));
        if (!Buffer.isBuffer(body)) {
          throw new DomainError('unsupported_media_type', 'Send the DER OCSPRequest as application/ocsp-request (RFC 6960 appendix A).');
        }
        return answer(reply, body);
      },
    );
    ocsp.get(
      '/ocsp/*',
      {
        schema: {
          ...simulatorGroup(TAGS.simulator),
          ...simulatorOperation('pkiOcspGet'),
          params: OCSP_GET_PARAMS,
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

  await app.register(async (guarded) => {
    const control = guarded.withTypeProvider<TypeBoxTypeProvider>();
    control.addHook('onRequest', controlGuard({ adminToken: opts.adminToken }));
    const errors = {
      400: problem('Unknown certificate, bad reason or time; the detail says which', 'invalid_request'),
      401: ADMIN_UNAUTHORIZED,
    };
    const view = (r: LoadedTestPki['revocations']): Static<typeof REVOCATION_STATE> => {
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
          ...simulatorGroup(TAGS.control),
          ...simulatorOperation('simPkiRevocations'),
          response: { 200: REVOCATION_STATE, 401: errors[401] },
        },
      },
      async () => view((await opts.pki.get()).revocations),
    );

    control.post(
      '/revocations',
      {
        schema: {
          ...simulatorGroup(TAGS.control),
          ...simulatorOperation('simPkiRevoke'),
          body: REVOKE_BODY,
          response: { 201: REVOKED, ...errors },
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

    control.delete(
      '/revocations/:serial',
      {
        schema: {
          ...simulatorGroup(TAGS.control),
          ...simulatorOperation('simPkiUnrevoke'),
          params: SERIAL_PARAMS,
          response: { 204: documentOrder(noContent('Not on the list (any more)'), ['description', 'type']), ...errors },
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

const OCSP_GET_PARAMS = documentOrder(
  Type.Object({
    '*': Type.Optional(Type.String({ description: 'The DER OCSPRequest, base64, URL-encoded or not (RFC 6960 appendix A.1)', examples: ['MAA='] })),
  }),
);
const REASON = Type.Unsafe<CrlReason>({ type: 'string', enum: [...REASON_NAMES] });
/** A revoked certificate, as the CRL and OCSP now say. */
const REVOKED = documentOrder(
  Type.Object({
    serial: Type.String({ description: 'Serial number, lower-case hex' }),
    role: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'seal, tsa, expired-seal, revoked-seal, ocsp (null: a serial only)' }),
    subject: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
    revokedAt: Type.String({ format: 'date-time' }),
    reason: REASON,
  }),
);
const REVOCATION_STATE = documentOrder(
  Type.Object({
    crlNumber: Type.Integer({ description: 'Number of the last CRL issued (0: none yet)' }),
    revoked: Type.Array(REVOKED),
    certificates: documentOrder(
      Type.Array(
        Type.Object({
          serial: Type.String(),
          role: Type.String(),
          subject: Type.String(),
          issuedAt: Type.String({ format: 'date-time' }),
          status: Type.Unsafe<'good' | 'revoked'>({ type: 'string', enum: ['good', 'revoked'] }),
        }),
        { description: 'Every certificate the test CA issued, newest first (leaves are issued again when the public URL changes)' },
      ),
      ['type', 'description', 'items'],
    ),
  }),
);
const REVOKE_BODY = documentOrder(
  Type.Object(
    {
      certificate: Type.String({ minLength: 1, examples: ['seal'] }),
      reason: Type.Optional({ ...REASON, default: 'keyCompromise' }),
      revokedAt: Type.Optional(Type.String({ format: 'date-time', description: 'Default now; not in the future' })),
    },
    { additionalProperties: false },
  ),
  ['type', 'required', 'additionalProperties', 'properties'],
);
const SERIAL_PARAMS = documentOrder(Type.Object({ serial: Type.String({ examples: ['seal'] }) }));
