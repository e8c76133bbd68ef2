/**
 * Small helpers shared by the robustness tests (crash, load): an HTTP client for a started
 * process, a CRC-checking unzip, and the lifecycle order.
 */
import { Prng } from '../../src/faults/prng.js';

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
export async function call(
  base: string,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'API-KEY': KEY, ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/octet-stream' } : {}), ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body: bytes, json: () => JSON.parse(bytes.toString('utf8')) };
}

/** Every entry of a ZIP by name; rejects on a CRC-32 or size mismatch or a duplicate name. */
export { unzip as unzipChecked } from '../helpers/zip.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A seeded PRNG (the faults' mulberry32): rounds are reproducible from the seed the test prints. */
export function prng(seed: number): () => number {
  const rng = new Prng(seed);
  return () => rng.next();
}
