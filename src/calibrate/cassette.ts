import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { REDACTED_VALUE, redactUrl } from '../http/redact-url.js';

/**
 * A cassette: one NDJSON file of HTTP exchanges with a SEAL-compatible server, written by the
 * conformance kit (each exchange labelled with the probe that sent it) and by the recording proxy
 * (unlabelled). Credentials never enter it: API keys, Authorization, cookies and token-like query
 * parameters are replaced by "[redacted]" before anything is written. Package bytes are kept as
 * size and SHA-256 (the proxy stores them beside the cassette only when asked); JSON bodies are
 * kept as the exact text received, so a replay answers byte for byte.
 */

export const CASSETTE_VERSION = 1;
export const REDACTED = REDACTED_VALUE;

export interface CassetteHeader {
  cassette: typeof CASSETTE_VERSION;
  /** The target's base URL (no credentials). */
  target: string;
  recordedAt: string;
  /** The tool that wrote it, with its version. */
  tool: string;
}

export interface BodySummary {
  bytes: number;
  sha256: string;
  /** The exact text, for JSON and other text bodies up to 1 MiB. */
  text?: string;
  /** Names in the ZIP, when the body is one (download layout). */
  zipEntries?: string[];
  /** File beside the cassette holding the bytes, when they were stored. */
  file?: string;
}

export interface Exchange {
  seq: number;
  /** The kit's probe name; absent for a recorded session. */
  probe?: string;
  at: string;
  /** Milliseconds from the request's start to the response's last byte. */
  ms: number;
  request: { method: string; path: string; headers: Record<string, string>; body: BodySummary | null };
  response: { status: number; headers: Record<string, string>; body: BodySummary | null };
}

export interface Cassette {
  header: CassetteHeader;
  exchanges: Exchange[];
}

const SECRET_HEADERS = new Set(['api-key', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-admin-token', 'x-api-key']);

/** Headers as a plain object with credentials redacted (names lower-case). */
export function redactHeaders(headers: Iterable<[string, string]> | Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  const entries =
    Symbol.iterator in Object(headers)
      ? [...(headers as Iterable<[string, string]>)]
      : Object.entries(headers as Record<string, string | string[] | undefined>);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    out[key] = SECRET_HEADERS.has(key) ? REDACTED : Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** A request path with credential-like query parameters redacted (the same rule as the log's). */
export const redactPath = redactUrl;

const TEXT_LIMIT = 1024 * 1024;
const isText = (contentType: string | undefined) => !!contentType && /json|^text\/|xml|x-www-form-urlencoded/i.test(contentType);

export function summarise(bytes: Buffer, contentType: string | undefined): BodySummary | null {
  if (bytes.length === 0) return null;
  const summary: BodySummary = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  if (isText(contentType) && bytes.length <= TEXT_LIMIT) summary.text = bytes.toString('utf8');
  return summary;
}

/** The parsed JSON of a body, or undefined when it is none. */
export function jsonOf(body: BodySummary | null): unknown {
  if (!body?.text) return undefined;
  try {
    return JSON.parse(body.text);
  } catch {
    return undefined;
  }
}

export function cassetteLines(c: Cassette): string {
  return [c.header, ...c.exchanges].map((o) => JSON.stringify(o)).join('\n') + '\n';
}

export function readCassette(path: string): Cassette {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${path} is empty: not a cassette`);
  const parse = (line: string, n: number): unknown => {
    try {
      return JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${n + 1} is not JSON (${(e as Error).message})`);
    }
  };
  const header = parse(lines[0]!, 0) as CassetteHeader;
  if (header?.cassette !== CASSETTE_VERSION) throw new Error(`${path}: the first line must be a cassette header with "cassette": ${CASSETTE_VERSION}`);
  const exchanges = lines.slice(1).map((l, i) => parse(l, i + 1) as Exchange);
  for (const [i, e] of exchanges.entries()) {
    if (typeof e?.request?.method !== 'string' || typeof e?.response?.status !== 'number') {
      throw new Error(`${path}:${i + 2} is not an exchange (request.method and response.status are required)`);
    }
  }
  return { header, exchanges };
}
