import type { FastifyInstance } from 'fastify';
import type { TestPki } from '../signing/test-pki.js';
import { NO_SECURITY, TAGS } from './schemas.js';

/** The test PKI, published so integrators can trust it: /_simulator/pki/… (no API key needed). */
export async function pkiRoutes(app: FastifyInstance, opts: { pki: TestPki }): Promise<void> {
  const files: [string, string, string, (p: Awaited<ReturnType<TestPki['get']>>['pki']) => string | Buffer][] = [
    ['ca.pem', 'The test root CA (PEM): the one trust anchor to verify sealed packages with', 'application/x-pem-file', (p) => p.material.caPem],
    ['ca.der', 'The test root CA (DER)', 'application/pkix-cert', (p) => p.ca.der],
    ['ca.crl', 'The CA\'s (empty) certificate revocation list (DER)', 'application/pkix-crl', (p) => p.crlDer],
    ['seal.pem', 'The seal certificate (qualified e-seal profile, TEST)', 'application/x-pem-file', (p) => p.material.sealPem],
    ['tsa.pem', 'The time-stamping authority certificate (TEST)', 'application/x-pem-file', (p) => p.material.tsaPem],
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
          description: 'Generated once per data directory (or issued from the CA given by SEAL_SIM_PKI_CA_CERT/_KEY). Every name in it says TEST.',
          response: { 200: { description: summary, content: { [type]: { schema: { type: 'string', format: 'binary' } } } } },
        },
      },
      async (_request, reply) => {
        const { pki } = await opts.pki.get();
        return reply.type(type).header('content-disposition', `inline; filename="seal-simulator-${name}"`).send(pick(pki));
      },
    );
  }
}
