/**
 * Small helpers shared by the robustness tests (crash, load): an HTTP client for a started
 * process, a CRC-checking unzip, and the lifecycle order.
 */
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';

export const KEY = 'robustness-key';

/** The lifecycle order as a client sees it with status table A (UPLOADED reads NEW). */
export const LIFECYCLE = ['NEW', 'ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING', 'CLOSED', 'DELETED'] as const;
export const rank = (status: string): number => {
  const i = (LIFECYCLE as readonly string[]).indexOf(status);
  if (i < 0) throw new Error(`unknown status ${status}`);
  return i;
};

export interface Answer {
  status: number;
  body: Buffer;
  json<T = any>(): T;
}

/** One request; the body is read whole. Rejects on a network error (e.g. the process was killed). */
export async function call(base: string, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'API-KEY': KEY, ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/octet-stream' } : {}), ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body: bytes, json: () => JSON.parse(bytes.toString('utf8')) };
}

/** Every entry of a ZIP by name; rejects when an entry's data does not match its CRC-32 or size. */
export function unzipChecked(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, Buffer>();
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (err, file) => {
      if (err) return reject(err);
      file.on('entry', (entry: yauzl.Entry) =>
        file.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            const data = Buffer.concat(chunks);
            if ((crc32(data) >>> 0) !== (entry.crc32 >>> 0)) return reject(new Error(`CRC mismatch in ${entry.fileName}`));
            if (out.has(entry.fileName)) return reject(new Error(`duplicate entry ${entry.fileName}`));
            out.set(entry.fileName, data);
            file.readEntry();
          });
        }),
      );
      file.on('end', () => resolve(out));
      file.on('error', reject);
      file.readEntry();
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A seeded PRNG (mulberry32): rounds are reproducible from the seed the test prints. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
