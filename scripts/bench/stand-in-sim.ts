/**
 * A deliberately small STAND-IN for the simulator, used only to develop and smoke-test the
 * benchmark harness without building the simulator:
 *
 *   npx tsx scripts/bench/run.ts --quick --sim stand-in
 *
 * It speaks the same start-up contract (PORT, HOST, prints a JSON line with "url") and the three
 * routes the harness drives: POST /api/CreateBatch/:processId, POST /api/upload/:batchId (raw
 * ZIP body, spooled to a temp file, every entry inflated and counted), GET /api/BatchStatus/:id.
 * It does not seal: with it the start-up section skips "first batch CLOSED" and the sealing
 * section cannot run.
 * Its figures are NOT the simulator's and must never be reported as such.
 */
import Fastify from 'fastify';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import yauzl from 'yauzl';

interface Doc {
  id: string;
  fileName: string;
}
interface Batch {
  id: number;
  status: string;
  creationDate: string;
  documents: Doc[];
}

const batches = new Map<number, Batch>();
let nextId = 1;
const spool = mkdtempSync(path.join(os.tmpdir(), 'stand-in-sim-'));
const maxUpload = Number(process.env.SEAL_SIM_MAX_UPLOAD_BYTES ?? 2 ** 31);

const app = Fastify({ logger: false, bodyLimit: maxUpload });
app.addContentTypeParser('application/octet-stream', (_req, _payload, done) => done(null, undefined));
app.addContentTypeParser('application/zip', (_req, _payload, done) => done(null, undefined));

app.get('/_simulator/health', async () => ({ status: 'ok' }));

app.addHook('onRequest', async (req, reply) => {
  if (req.url === '/_simulator/health') return;
  if (!req.headers['api-key']) return reply.code(401).send({ title: 'Unauthorized', status: 401 });
});

app.post<{ Params: { processId: string } }>('/api/CreateBatch/:processId', async (_req, reply) => {
  const id = nextId++;
  batches.set(id, { id, status: 'NEW', creationDate: new Date().toISOString().slice(0, 19).replace('T', ' '), documents: [] });
  return reply.code(201).send({ id: String(id) });
});

function inflateAll(file: string): Promise<{ names: string[]; bytes: number }> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const names: string[] = [];
      let bytes = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        names.push(entry.fileName);
        zip.openReadStream(entry, (e2, rs) => {
          if (e2 || !rs) return reject(e2);
          const sink = new Writable({
            write(chunk: Buffer, _enc, cb) {
              bytes += chunk.length;
              cb();
            },
          });
          pipeline(rs, sink).then(() => zip.readEntry(), reject);
        });
      });
      zip.on('end', () => resolve({ names, bytes }));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

app.post<{ Params: { batchId: string } }>('/api/upload/:batchId', async (req, reply) => {
  const b = batches.get(Number(req.params.batchId));
  if (!b) return reply.code(404).send({ title: 'Not Found', status: 404 });
  const file = path.join(spool, `${b.id}-${Date.now()}.zip`);
  try {
    await pipeline(req.raw, createWriteStream(file));
    const { names } = await inflateAll(file);
    b.documents = names.map((fileName, i) => ({ id: String(i + 1), fileName }));
    b.status = 'READY';
  } catch (e) {
    return reply.code(400).send({ title: 'Bad ZIP', status: 400, detail: (e as Error).message });
  } finally {
    rmSync(file, { force: true });
  }
  return reply.code(202).send();
});

app.get<{ Params: { id: string } }>('/api/BatchStatus/:id', async (req, reply) => {
  const b = batches.get(Number(req.params.id));
  if (!b) return reply.code(404).send({ title: 'Not Found', status: 404 });
  return {
    id: b.id,
    status: b.status,
    creationDate: b.creationDate,
    documents: b.documents.map((d) => ({ id: d.id, signed: 'false', fileName: d.fileName, signingResult_Success: 'false' })),
  };
});

const url = await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.stdout.write(JSON.stringify({ level: 'info', msg: 'listening', url }) + '\n');
const bye = () => {
  rmSync(spool, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', bye);
process.on('SIGTERM', bye);
