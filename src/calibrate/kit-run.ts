import { performance } from 'node:perf_hooks';
import { type Exchange, jsonOf, redactHeaders, redactPath, summarise } from './cassette.js';
import { type KitPackages, zipEntryNames } from './kit-documents.js';

/**
 * The integrator scenarios the conformance kit plays against a SEAL-compatible server: the whole
 * flow on one batch (timed, never disturbed) and every refusal an integrator meets on a second.
 * Each request is one labelled exchange; `observe.ts` turns the exchanges into observations, so a
 * cassette of them can be judged again later without the network.
 */

export interface KitOptions {
  baseUrl: string;
  apiKey: string;
  processId: number;
  /** A second valid key: probes another tenant's batch (skipped without it). */
  otherApiKey?: string;
  /** Probe the size limit with a body of this many bytes (skipped without it). */
  oversizedBytes?: number;
  pollMs: number;
  maxWaitMs: number;
  /** Print each request instead of sending it. */
  dryRun: boolean;
  /** Where progress lines go (stderr in the CLI). */
  say: (line: string) => void;
}

/** What the run will create and send, stated before the first request. */
export function kitPlan(o: KitOptions, p: KitPackages): { batches: number; uploadBytes: number; lines: string[] } {
  const uploads = [p.valid, p.folder, p.empty, p.notZip, p.valid, p.valid].reduce((n, b) => n + b.length, 0) + (o.oversizedBytes ?? 0);
  return {
    batches: 2,
    uploadBytes: uploads,
    lines: [
      `target ${o.baseUrl}, process ${o.processId}`,
      `creates 2 batches (3 if process 999999 unexpectedly exists) and deletes every batch it created`,
      `uploads ${uploads} bytes in ${o.oversizedBytes ? 7 : 6} package bodies (a 2-file ZIP: doc.pdf + note.txt; a folder ZIP; an empty ZIP; plain text${o.oversizedBytes ? `; ${o.oversizedBytes} bytes for the size limit` : ''})`,
      `polls BatchStatus every ${o.pollMs} ms until CLOSED, at most ${Math.round(o.maxWaitMs / 1000)} s`,
      o.otherApiKey ? 'reads a batch with the second key (--other-api-key)' : "does not probe another key's batch (no --other-api-key)",
    ],
  };
}

interface Sent {
  status: number;
  json: unknown;
}

export class KitRun {
  readonly exchanges: Exchange[] = [];
  private readonly created: string[] = [];
  private seq = 0;

  constructor(
    private readonly o: KitOptions,
    private readonly packages: KitPackages,
  ) {}

  async run(): Promise<Exchange[]> {
    try {
      await this.mainFlow();
      await this.refusals();
    } finally {
      await this.cleanUp();
    }
    return this.exchanges;
  }

  private async mainFlow(): Promise<void> {
    const { processId } = this.o;
    const created = await this.send('create', 'POST', `/api/CreateBatch/${processId}`);
    const id = this.idFrom(created, 'batch-1');
    await this.send('casing.lower', 'GET', `/api/batchstatus/${id}`);
    await this.send('casing.upper', 'GET', `/API/BATCHSTATUS/${id}`);
    await this.send('status.new', 'GET', `/api/BatchStatus/${id}`);
    await this.send('upload', 'POST', `/api/upload/${id}`, { body: this.packages.valid, type: 'application/octet-stream' });
    await this.send('status.uploaded', 'GET', `/api/BatchStatus/${id}`);
    await this.accept('accept', id);
    await this.poll(id);
    await this.send('download', 'GET', `/api/batchfile/${id}`);
    await this.send('delete', 'DELETE', `/api/BatchDeleteCache/${id}`);
    this.forget(id);
    await this.send('afterDelete.status', 'GET', `/api/BatchStatus/${id}`);
    await this.send('afterDelete.download', 'GET', `/api/batchfile/${id}`);
  }

  private async refusals(): Promise<void> {
    const { processId } = this.o;
    const created = await this.send('create2', 'POST', `/api/CreateBatch/${processId}`);
    const id = this.idFrom(created, 'batch-2');
    await this.send('refusal.noKey', 'GET', `/api/BatchStatus/${id}`, { key: null });
    await this.send('refusal.unknownId', 'GET', `/api/BatchStatus/2147480000`);
    if (this.o.otherApiKey) await this.send('refusal.otherKey', 'GET', `/api/BatchStatus/${id}`, { key: this.o.otherApiKey });
    await this.accept('refusal.acceptNew', id);
    await this.send('refusal.downloadEarly', 'GET', `/api/batchfile/${id}`);
    await this.send('refusal.folderZip', 'POST', `/api/upload/${id}`, { body: this.packages.folder, type: 'application/octet-stream' });
    await this.send('refusal.emptyZip', 'POST', `/api/upload/${id}`, { body: this.packages.empty, type: 'application/octet-stream' });
    await this.send('refusal.notZip', 'POST', `/api/upload/${id}`, { body: this.packages.notZip, type: 'application/octet-stream' });
    if (this.o.oversizedBytes) {
      await this.send('refusal.oversized', 'POST', `/api/upload/${id}`, { body: Buffer.alloc(this.o.oversizedBytes, 0x50), type: 'application/octet-stream' });
    }
    await this.send('upload2', 'POST', `/api/upload/${id}`, { body: this.packages.valid, type: 'application/octet-stream' });
    await this.accept('accept2', id);
    await this.send('refusal.uploadAfterAccept', 'POST', `/api/upload/${id}`, { body: this.packages.valid, type: 'application/octet-stream' });
    const unknownProcess = await this.send('refusal.unknownProcess', 'POST', '/api/CreateBatch/999999');
    if (unknownProcess.status >= 200 && unknownProcess.status < 300) this.idFrom(unknownProcess, 'batch-3');
  }

  /**
   * AcceptBatch: the vendor's page names a batchId parameter its path does not have, so the kit
   * tries the path form, then the query, then a JSON body, and the observation says which worked.
   */
  private async accept(probe: string, id: string): Promise<Sent> {
    const viaPath = await this.send(probe, 'POST', `/api/AcceptBatch/${id}`);
    if (viaPath.status !== 404 && viaPath.status !== 405) return viaPath;
    const viaQuery = await this.send(`${probe}.query`, 'POST', `/api/AcceptBatch?batchId=${id}`);
    if (viaQuery.status !== 404 && viaQuery.status !== 405 && viaQuery.status !== 400) return viaQuery;
    return this.send(`${probe}.json`, 'POST', '/api/AcceptBatch', { body: Buffer.from(JSON.stringify({ batchId: Number(id) })), type: 'application/json' });
  }

  private async poll(id: string): Promise<void> {
    const { pollMs, maxWaitMs, dryRun } = this.o;
    if (dryRun) {
      this.o.say(`GET /api/BatchStatus/${id}   (repeated every ${pollMs} ms until CLOSED)`);
      return;
    }
    const until = performance.now() + maxWaitMs;
    for (;;) {
      const res = await this.send('poll', 'GET', `/api/BatchStatus/${id}`);
      const status = (res.json as { status?: unknown } | undefined)?.status;
      if (status === 'CLOSED' || status === 'DELETED' || res.status >= 400) return;
      if (performance.now() > until) {
        this.o.say(`batch ${id} did not reach CLOSED within ${Math.round(maxWaitMs / 1000)} s; going on`);
        return;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private async cleanUp(): Promise<void> {
    for (const id of [...this.created]) {
      await this.send('cleanup', 'DELETE', `/api/BatchDeleteCache/${id}`).catch(() => {});
      this.forget(id);
    }
  }

  private idFrom(res: Sent, placeholder: string): string {
    const id = (res.json as { id?: unknown } | undefined)?.id;
    const text = typeof id === 'string' || typeof id === 'number' ? String(id) : `{${placeholder}}`;
    if (!this.o.dryRun && res.status >= 200 && res.status < 300) this.created.push(text);
    return text;
  }

  private forget(id: string): void {
    const i = this.created.indexOf(id);
    if (i >= 0) this.created.splice(i, 1);
  }

  private async send(probe: string, method: string, path: string, opts: { body?: Buffer; type?: string; key?: string | null } = {}): Promise<Sent> {
    const headers: Record<string, string> = {};
    const key = opts.key === undefined ? this.o.apiKey : opts.key;
    if (key !== null) headers['API-KEY'] = key;
    if (opts.type) headers['Content-Type'] = opts.type;
    if (this.o.dryRun) {
      this.o.say(`${method} ${path}${opts.body ? `   (${opts.body.length} bytes, ${opts.type})` : ''}${key === null ? '   (no API-KEY)' : ''}`);
      return { status: 0, json: undefined };
    }
    const started = performance.now();
    const at = new Date().toISOString();
    const res = await fetch(new URL(path, this.o.baseUrl), { method, headers, ...(opts.body ? { body: new Uint8Array(opts.body) } : {}) });
    const bytes = Buffer.from(await res.arrayBuffer());
    const ms = Math.round(performance.now() - started);
    const contentType = res.headers.get('content-type') ?? undefined;
    const body = summarise(bytes, contentType);
    if (body && bytes[0] === 0x50 && bytes[1] === 0x4b) {
      const names = await zipEntryNames(bytes);
      if (names) body.zipEntries = names;
    }
    const exchange: Exchange = {
      seq: ++this.seq,
      probe,
      at,
      ms,
      request: {
        method,
        path: redactPath(path),
        headers: redactHeaders(headers),
        body: opts.body ? { bytes: opts.body.length, sha256: summarise(opts.body, undefined)!.sha256 } : null,
      },
      response: { status: res.status, headers: redactHeaders(headerPairs(res.headers)), body },
    };
    this.exchanges.push(exchange);
    if (probe !== 'poll') this.o.say(`${method} ${path} -> ${res.status}`);
    return { status: res.status, json: jsonOf(body) };
  }
}

function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
}
