/**
 * The ceiling for this stack: a bare Fastify 5 route that returns the vendor's BatchStatus body,
 * with no lookup, no auth check, no logging. Used by scripts/bench/run.ts.
 *
 *   PORT=3000 HOST=127.0.0.1 npx tsx scripts/bench/bare-fastify.ts
 *
 * Prints {"url":"http://HOST:PORT"} on stdout when listening, like the simulator's CLI.
 */
import Fastify from 'fastify';

export const VENDOR_STATUS_BODY = {
  id: 2123,
  status: 'READY',
  creationDate: '2023-01-01 10:00:00',
  documents: [{ id: '1', signed: 'false', fileName: 'test.pdf', signingResult_Success: 'false' }],
};

const app = Fastify({ logger: false });
app.get('/api/BatchStatus/:id', async () => VENDOR_STATUS_BODY);

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const url = await app.listen({ port, host });
process.stdout.write(JSON.stringify({ msg: 'listening', url }) + '\n');

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void app.close().then(() => process.exit(0));
  });
}
