import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { type Cassette, type Exchange, redactPath } from './cassette.js';
import { listen, type Listening } from './listen.js';

/**
 * Serves a cassette back: each request is answered by the next recorded exchange with the same
 * method and path (case-insensitive, credentials redacted as in the cassette); once a path's
 * recordings are used up, its last answer repeats (a poller keeps seeing the final status).
 * JSON and text bodies are sent byte for byte as recorded; a package only if the recording stored it.
 */

const SKIP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);
const keyOf = (method: string, path: string) => `${method.toUpperCase()} ${redactPath(path).toLowerCase()}`;

export async function startReplay(
  cassette: Cassette,
  cassettePath: string,
  o: { host: string; port: number; say: (line: string) => void },
): Promise<Listening> {
  const queues = new Map<string, Exchange[]>();
  for (const e of cassette.exchanges) {
    const k = keyOf(e.request.method, e.request.path);
    queues.set(k, [...(queues.get(k) ?? []), e]);
  }
  const problem = (status: number, title: string, detail: string) => JSON.stringify({ type: 'urn:seal-simulator:problem:replay', title, status, detail });

  const server = createServer((req, res) => {
    req.resume(); // the request body is not compared; read it so the client can finish sending
    req.on('end', () => {
      const queue = queues.get(keyOf(req.method ?? 'GET', req.url ?? '/'));
      if (!queue || queue.length === 0) {
        res.writeHead(404, { 'content-type': 'application/problem+json' });
        res.end(
          problem(
            404,
            'Not in the cassette',
            `The cassette has no ${req.method} ${req.url?.split('?')[0]}. It was recorded from ${cassette.header.target} and holds ${cassette.exchanges.length} exchanges.`,
          ),
        );
        return;
      }
      const e = queue.length > 1 ? queue.shift()! : queue[0]!;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(e.response.headers)) if (!SKIP.has(k)) headers[k] = v;
      const body = e.response.body;
      let bytes: Buffer | undefined;
      if (!body) bytes = Buffer.alloc(0);
      else if (body.text !== undefined) bytes = Buffer.from(body.text, 'utf8');
      else if (body.file && existsSync(join(dirname(cassettePath), body.file))) bytes = readFileSync(join(dirname(cassettePath), body.file));
      if (!bytes) {
        res.writeHead(501, { 'content-type': 'application/problem+json' });
        res.end(
          problem(
            501,
            'Body not recorded',
            `The cassette keeps only the size (${body!.bytes} bytes) and SHA-256 of this response; record with --store-bodies to replay it.`,
          ),
        );
        return;
      }
      res.writeHead(e.response.status, headers);
      res.end(bytes);
      o.say(`${req.method} ${req.url} -> ${e.response.status} (recorded #${e.seq})`);
    });
  });
  return listen(server, o.host, o.port);
}
