/**
 * A tiny DER writer. The CMS / TSP structures the simulator emits are built directly as bytes so
 * that certificate DER, encoded once at start-up, is spliced in without re-serialising (the spike
 * measured ≈3.7 ms per document for the ASN.1 object round-trip; this path costs microseconds).
 */
import { createHash } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

export const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
export const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
/** SET OF with its elements DER-sorted (X.690 §11.6): needed for signed attributes: verifiers re-encode them sorted before checking the digest. */
export const setOf = (...c: Buffer[]): Buffer => tlv(0x31, ...[...c].sort(Buffer.compare));
export const octet = (b: Buffer): Buffer => tlv(0x04, b);
export const nul = (): Buffer => Buffer.from([0x05, 0x00]);
/** [n] EXPLICIT / constructed context tag. */
export const ctx = (n: number, ...c: Buffer[]): Buffer => tlv(0xa0 | n, ...c);

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map((p) => BigInt(p));
  const out: number[] = [];
  const enc = (v: bigint): void => {
    const tmp: number[] = [Number(v & 0x7fn)];
    v >>= 7n;
    while (v > 0n) {
      tmp.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(...tmp);
  };
  enc(parts[0]! * 40n + parts[1]!);
  for (const p of parts.slice(2)) enc(p);
  return tlv(0x06, Buffer.from(out));
}

/** INTEGER from an unsigned big-endian magnitude (adds a 0x00 when the top bit is set). */
export function intBytes(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1]! & 0x80) === 0) i++;
  let v = b.subarray(i);
  if (v.length === 0) v = Buffer.from([0]);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

export function int(n: number | bigint): Buffer {
  let v = BigInt(n);
  if (v < 0n) throw new Error('negative INTEGER not supported');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return intBytes(Buffer.from(bytes));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** yyMMddHHmmssZ or yyyyMMddHHmmssZ in UTC, whole seconds. */
function timeDigits(d: Date, yearDigits: 2 | 4): Buffer {
  const year = yearDigits === 2 ? d.getUTCFullYear() % 100 : d.getUTCFullYear();
  const rest = [d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  return Buffer.from(`${pad(year, yearDigits)}${rest.map((n) => pad(n)).join('')}Z`, 'ascii');
}

/** UTCTime (years 1950–2049), whole seconds. */
export const utcTime = (d: Date): Buffer => tlv(0x17, timeDigits(d, 2));

/** GeneralizedTime, whole seconds (pairs with accuracy {seconds 1}). */
export const generalizedTime = (d: Date): Buffer => tlv(0x18, timeDigits(d, 4));

export const sha256 = (b: Buffer | Uint8Array): Buffer => createHash('sha256').update(b).digest();

/** Reads one TLV at `offset`; returns the header length and the content length. */
export function readTlv(b: Buffer, offset = 0): { tag: number; hdr: number; len: number; end: number } {
  const tag = b[offset];
  if (tag === undefined) throw new Error('truncated DER');
  let p = offset + 1;
  const first = b[p++];
  if (first === undefined) throw new Error('truncated DER');
  let l = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    l = 0;
    for (let i = 0; i < n; i++) {
      const x = b[p++];
      if (x === undefined) throw new Error('truncated DER');
      l = l * 256 + x;
    }
  }
  const hdr = p - offset;
  return { tag, hdr, len: l, end: p + l };
}

/** Iterates the children of a constructed TLV's content. */
export function children(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p < b.length) {
    const t = readTlv(b, p);
    out.push(b.subarray(p, t.end));
    p = t.end;
  }
  return out;
}

/** Content bytes of one TLV. */
export function content(b: Buffer): Buffer {
  const t = readTlv(b, 0);
  return b.subarray(t.hdr, t.end);
}

/** The dotted form of an OBJECT IDENTIFIER TLV (the reverse of `oid`). */
export function decodeOid(tlvBytes: Buffer): string {
  const t = readTlv(tlvBytes);
  if (t.tag !== 0x06) throw new Error('expected OBJECT IDENTIFIER');
  const b = tlvBytes.subarray(t.hdr, t.end);
  const out: bigint[] = [];
  let v = 0n;
  for (const x of b) {
    v = (v << 7n) | BigInt(x & 0x7f);
    if ((x & 0x80) === 0) {
      if (out.length === 0) {
        const first = v < 80n ? v / 40n : 2n;
        out.push(first, v - first * 40n);
      } else out.push(v);
      v = 0n;
    }
  }
  return out.join('.');
}
