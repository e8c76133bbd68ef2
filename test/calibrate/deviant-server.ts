import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { zipEntryNames, zipOf } from '../../src/calibrate/kit-documents.js';

/**
 * A small SEAL-compatible server that departs from the simulator's model on purpose, to prove the
 * conformance kit finds each departure and that a profile written from it takes on the ones the
 * simulator has a switch for:
 *  - a refusal for the wrong state answers 404 (the simulator: 409);
 *  - dates are ISO 8601 with a Z (the simulator: `yyyy-MM-dd HH:mm:ss`);
 *  - error bodies are `{"message": …, "code": …}` as application/json (the simulator: problem+json);
 *  - phases last 1000 / 200 / 1500 / 200 ms (the simulator, fast: 400 / 400 / 600 / 400);
 *  - the signed package keeps the files that failed (the simulator leaves them out) — no switch.
 * Everything else (paths, success codes, JSON types, status table A) is as the vendor documents.
 */

const PHASES: [string, number][] = [
  ['ACCEPTED', 1000],
  ['READY', 200],
  ['IN_PROGRESS', 1500],
  ['FINISHING', 200],
];
const CODES_A: Record<string, number> = { NEW: 0, ACCEPTED: 1, READY: 2, IN_PROGRESS: 3, FINISHING: 4, CLOSED: 5, DELETED: 6 };

interface DeviantBatch {
  id: number;
  key: string;
  createdAt: number;
  files: { name: string; bytes: Buffer }[] | null;
  acceptedAt: number | null;
  deleted: boolean;
}

export async function startDeviantServer(): Promise<{ url: string; close(): Promise<void> }> {
  const batches = new Map<number, DeviantBatch>();
  let nextId = 500;
  const date = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
  const statusOf = (b: DeviantBatch): string => {
    if (b.deleted) return 'DELETED';
    if (b.acceptedAt === null) return 'NEW';
    let t = Date.now() - b.acceptedAt;
    for (const [name, ms] of PHASES) {
      if (t < ms) return name;
      t -= ms;
    }
    return 'CLOSED';
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, message: string) => send(res, status, { message, code: status });
  const statusBody = (b: DeviantBatch) => ({
    id: b.id,
    status: statusOf(b),
    creationDate: date(b.createdAt),
    documents: (b.files ?? []).map((f, i) => ({
      id: String(i + 1),
      signed: f.name.endsWith('.pdf') ? 'true' : 'false',
      fileName: f.name,
      signingResult_Success: f.name.endsWith('.pdf') ? 'true' : 'false',
    })),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const key = req.headers['api-key'];
    if (typeof key !== 'string' || key === '') return refuse(res, 401, 'API key required');
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/(createbatch|upload|batchstatus|acceptbatch|batchfile|batchdeletecache)(?:\/(\d+))?$/i.exec(url.pathname);
    if (!m) return refuse(res, 404, 'no such route');
    const route = m[1]!.toLowerCase();
    const n = Number(m[2] ?? url.searchParams.get('batchId'));
    if (route === 'createbatch') {
      if (n !== 1) return refuse(res, 404, 'process not found');
      const b: DeviantBatch = { id: nextId++, key, createdAt: Date.now(), files: null, acceptedAt: null, deleted: false };
      batches.set(b.id, b);
      return send(res, 201, { id: String(b.id), providerSettingsId: '1', creationDate: date(b.createdAt), status: '0' });
    }
    const b = batches.get(n);
    if (!b || b.key !== key) return refuse(res, 404, 'batch not found');
    const status = statusOf(b);
    switch (route) {
      case 'batchstatus':
        return send(res, 200, statusBody(b));
      case 'upload': {
        if (status !== 'NEW') return refuse(res, 404, 'batch cannot take a package now');
        const names = await zipEntryNames(body);
        if (!names || names.length === 0 || names.some((x) => x.includes('/'))) return refuse(res, 400, 'not a flat ZIP');
        b.files = names.map((name) => ({ name, bytes: Buffer.from(name) }));
        return send(res, 202, {
          id: '1',
          counterpartyId: '1',
          name: `batch-${b.id}.zip`,
          signed: 'false',
          hash: null,
          signature: null,
          batchId: b.id,
          creationDate: date(Date.now()),
          isZip: 'true',
          tsaId: '1',
        });
      }
      case 'acceptbatch':
        if (status !== 'NEW' || !b.files) return refuse(res, 404, 'batch cannot be accepted now');
        b.acceptedAt = Date.now();
        return send(res, 200, { id: b.id, providerSettingsId: '1', creationDate: date(b.createdAt), status: String(CODES_A.ACCEPTED) });
      case 'batchfile': {
        if (status !== 'CLOSED') return refuse(res, 404, 'batch is not closed');
        const zip = await zipOf(b.files ?? []); // failed files stay in the package
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end(zip);
      }
      case 'batchdeletecache':
        b.deleted = true;
        return send(res, 200, statusBody(b));
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => refuse(res, 500, e.message));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
