import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, renameSync, writeFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BodySummary, CASSETTE_VERSION, type CassetteHeader, type Exchange, redactHeaders, redactPath, summarise } from './cassette.js';
import { zipEntryNames } from './kit-documents.js';
import { listen, type Listening } from './listen.js';

/**
 * The recording proxy: listens like the simulator, forwards every vendor-API request (/api/…,
 * /tsa/…) to the target unchanged, and appends each exchange to a cassette as it completes. The
 * credentials pass through to the target but never into the cassette. Bodies stream through; only
 * text bodies (≤ 1 MiB) and packages (≤ 64 MiB, for their ZIP layout) are held while they pass.
 */

export interface RecorderOptions {
  target: string;
  out: string;
  host: string;
  port: number;
  /** Directory to store request and response bodies in (by SHA-256); none: size and hash only. */
  storeDir?: string;
  tool: string;
  say: (line: string) => void;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
const HOLD_LIMIT = 64 * 1024 * 1024;
export const isVendorPath = (path: string) => /^\/(api|tsa)\//i.test(path);

export async function startRecorder(o: RecorderOptions): Promise<Listening & { exchanges: () => number }> {
  const target = new URL(o.target);
  const header: CassetteHeader = { cassette: CASSETTE_VERSION, target: target.origin, recordedAt: new Date().toISOString(), tool: o.tool };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(header)}\n`);
  if (o.storeDir) mkdirSync(o.storeDir, { recursive: true });
  let seq = 0;

  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (!isVendorPath(path)) {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'urn:seal-simulator:problem:route-not-found',
          title: 'Not recorded',
          status: 404,
          detail: `The recording proxy forwards only the vendor API (/api/…, /tsa/…); ${req.method} ${path.split('?')[0]} is not part of it.`,
        }),
      );
      return;
    }
    forward(req, res, ++seq).catch((err: Error) => {
      o.say(`${req.method} ${path.split('?')[0]}: ${err.message}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'urn:seal-simulator:problem:unavailable', title: 'The target could not be reached', status: 502, detail: err.message }));
    });
  });

  async function forward(req: IncomingMessage, res: ServerResponse, n: number): Promise<void> {
    const started = performance.now();
    const at = new Date().toISOString();
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstreamPath = `${target.pathname.replace(/\/$/, '')}${req.url}`;
    const requestBody = new Tap(req.headers['content-type'], o.storeDir);
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const out = send(target, { method: req.method, path: upstreamPath, headers }, resolve);
      out.on('error', reject);
      req.on('data', (chunk: Buffer) => {
        requestBody.add(chunk);
        out.write(chunk);
      });
      req.on('end', () => out.end());
      req.on('error', reject);
    });
    const responseHeaders: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) responseHeaders[k] = v;
    res.writeHead(upstream.statusCode ?? 502, responseHeaders);
    const responseBody = new Tap(upstream.headers['content-type'], o.storeDir);
    for await (const chunk of upstream) {
      responseBody.add(chunk as Buffer);
      res.write(chunk);
    }
    res.end();
    const exchange: Exchange = {
      seq: n,
      at,
      ms: Math.round(performance.now() - started),
      request: { method: req.method ?? 'GET', path: redactPath(req.url ?? '/'), headers: redactHeaders(req.headers), body: await requestBody.finish() },
      response: { status: upstream.statusCode ?? 0, headers: redactHeaders(upstream.headers), body: await responseBody.finish() },
    };
    appendFileSync(o.out, `${JSON.stringify(exchange)}\n`);
    o.say(`${exchange.request.method} ${exchange.request.path} -> ${exchange.response.status} (${exchange.ms} ms)`);
  }

  const listening = await listen(server, o.host, o.port);
  return { ...listening, exchanges: () => seq };
}

/** Watches a body pass: its size and hash always, its bytes while small, a stored copy on request. */
class Tap {
  private readonly hash = createHash('sha256');
  private readonly held: Buffer[] = [];
  private size = 0;
  private file: WriteStream | undefined;
  private readonly tmp: string | undefined;

  constructor(
    private readonly contentType: string | undefined,
    private readonly storeDir: string | undefined,
  ) {
    if (storeDir) {
      this.tmp = join(storeDir, `.partial-${process.pid}-${Math.random().toString(36).slice(2)}`);
      this.file = createWriteStream(this.tmp);
    }
  }

  add(chunk: Buffer): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.size <= HOLD_LIMIT) this.held.push(chunk);
    this.file?.write(chunk);
  }

  async finish(): Promise<BodySummary | null> {
    const sha256 = this.hash.digest('hex');
    if (this.file) await new Promise<void>((r) => this.file!.end(() => r()));
    if (this.size === 0) return null;
    const bytes = this.size <= HOLD_LIMIT ? Buffer.concat(this.held) : Buffer.alloc(0);
    const summary: BodySummary = this.size <= HOLD_LIMIT ? summarise(bytes, this.contentType)! : { bytes: this.size, sha256 };
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
      const names = await zipEntryNames(bytes);
      if (names) summary.zipEntries = names;
    }
    if (this.storeDir && this.tmp) {
      const name = `${sha256}.bin`;
      renameSync(this.tmp, join(this.storeDir, name));
      summary.file = join(basename(this.storeDir), name);
    }
    return summary;
  }
}
