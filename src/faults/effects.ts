import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FiredFault } from './fault-registry.js';
import type { FiredParams } from './kinds.js';

/**
 * Small pure helpers that turn a fired fault into its effect, for the hooks and the worker. No
 * Fastify here: they take and return plain values.
 */

type Truncate = Extract<FiredParams, { kind: 'truncate-download' | 'truncate-package' }>;

/** How many bytes of a `total`-byte body to send or keep (always less than total when total > 0). */
export function truncatedLength(total: number, p: Truncate): number {
  if (total <= 0) return 0;
  const want = p.bytes !== undefined ? p.bytes : Math.floor(total * p.fraction);
  return Math.max(0, Math.min(want, total - 1));
}

/** The problem body of a `status` fault, less `instance` and `traceId` (the hook adds them). */
export function statusProblem(
  p: Extract<FiredParams, { kind: 'status' }>,
  label: string,
): { type: string; title: string; status: number; detail: string; fault: string } {
  return {
    type: 'urn:seal-simulator:problem:injected-fault',
    title: STATUS_CODES[p.status] ?? 'Injected fault',
    status: p.status,
    detail: p.detail ?? `The simulator answered ${p.status} because a fault asked it to (${label}).`,
    fault: label,
  };
}

/** Response headers a `status` fault adds (Retry-After when given). */
export function statusHeaders(p: Extract<FiredParams, { kind: 'status' }>): Record<string, string> {
  return p.retryAfter !== undefined ? { 'retry-after': String(p.retryAfter) } : {};
}

/**
 * The seal identity for one file, given the batch-level domain faults the worker took
 * (`takeAll` with kinds expired-cert / untrusted-cert / revoked-cert): a fault with a fileName
 * applies to that file only, one without to every file; when several apply, `untrusted` wins over
 * `revoked`, and `revoked` over `expired`.
 */
export function sealIdentityFor(fired: readonly FiredFault[], fileName: string): 'default' | 'expired' | 'untrusted' | 'revoked' {
  const rank = { default: 0, expired: 1, revoked: 2, untrusted: 3 } as const;
  let out: 'default' | 'expired' | 'untrusted' | 'revoked' = 'default';
  for (const f of fired) {
    const p = f.params;
    if ((p.kind === 'expired-cert' || p.kind === 'untrusted-cert' || p.kind === 'revoked-cert') && (p.fileName === undefined || p.fileName === fileName)) {
      if (rank[p.sealIdentity] > rank[out]) out = p.sealIdentity;
    }
  }
  return out;
}

/** The seal-fail fault that applies to this file, if any (same fileName rule as sealIdentityFor). */
export function sealFailFor(fired: readonly FiredFault[], fileName: string): FiredFault | undefined {
  return fired.find((f) => f.params.kind === 'seal-fail' && (f.params.fileName === undefined || f.params.fileName === fileName));
}

/**
 * A copy of a ZIP with bytes flipped (XOR 0xFF) inside the compressed data of its entries, so a
 * reader fails the CRC check (or inflate) rather than, say, ignoring a changed timestamp. Falls
 * back to positions anywhere after the first 4 bytes when the ZIP cannot be walked.
 */
export function corruptZip(zip: Buffer, p: Extract<FiredParams, { kind: 'corrupt-package' }>): Buffer {
  const out = Buffer.from(zip);
  if (out.length === 0) return out;
  const ranges = entryDataRanges(out);
  for (let i = 0; i < p.flips; i++) {
    const a = p.picks[2 * i] ?? 0;
    const b = p.picks[2 * i + 1] ?? 0;
    let pos: number;
    if (ranges.length > 0) {
      const r = ranges[Math.floor(a * ranges.length)]!;
      pos = r[0] + Math.floor(b * (r[1] - r[0]));
    } else {
      const from = Math.min(4, out.length - 1);
      pos = from + Math.floor(b * (out.length - from));
    }
    out[pos] = out[pos]! ^ 0xff;
  }
  return out;
}

/** [start, end) of each entry's stored data with at least one byte, from the central directory. */
function entryDataRanges(buf: Buffer): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const minEocd = 22;
  let eocd = -1;
  for (let i = buf.length - minEocd; i >= Math.max(0, buf.length - minEocd - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return ranges;
  const entries = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries && at + 46 <= buf.length; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) break;
    const csize = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const lho = buf.readUInt32LE(at + 42);
    if (csize > 0 && csize !== 0xffffffff && lho + 30 <= buf.length && buf.readUInt32LE(lho) === 0x04034b50) {
      const start = lho + 30 + buf.readUInt16LE(lho + 26) + buf.readUInt16LE(lho + 28);
      const end = start + csize;
      if (end <= buf.length) ranges.push([start, end]);
    }
    at += 46 + nameLen + extraLen + commentLen;
  }
  return ranges;
}

/**
 * Re-chunks a body into `chunkBytes` pieces with `intervalMs` between them (the `dribble` fault).
 * Stops early when the signal aborts (client gone).
 */
export async function* dribble(
  source: Buffer | AsyncIterable<Buffer | Uint8Array | string>,
  chunkBytes: number,
  intervalMs: number,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const pieces: AsyncIterable<Buffer | Uint8Array | string> | Buffer[] = Buffer.isBuffer(source) ? [source] : source;
  let first = true;
  for await (const piece of pieces) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    for (let i = 0; i < buf.length; i += chunkBytes) {
      if (signal?.aborted) return;
      if (!first && intervalMs > 0) {
        try {
          await sleep(intervalMs, undefined, signal ? { signal } : undefined);
        } catch {
          return;
        }
      }
      first = false;
      yield buf.subarray(i, i + chunkBytes);
    }
  }
}
