/**
 * The one ASN.1 toolkit of src/: DER written and read by hand over Buffers. The simulator's own
 * structures (certificates, CMS, TSA tokens, CRLs, OCSP responses) are written as bytes, so that
 * certificate DER encoded once at start-up is spliced in without re-serialising (an ASN.1 object
 * model round trip cost ≈3.7 ms per document; this costs microseconds), and what is checked is
 * read as views into the bytes received, never re-encoded. Tests check these encodings with
 * parsers the simulator does not use (pkijs with asn1js in unit tests; openssl, pdfsig, xmlsec1
 * and a Java validator in test:interop), which is why pkijs and asn1js are devDependencies only.
 *
 * Writing:  tlv, seq, set, setOf, octet, nul, ctx, oid, int, intBytes, utcTime, generalizedTime
 *
 * Two readers, for two kinds of input:
 *   strict   readNode, kids, parseDer, expectTag, oidOf, timeOf, octetsOf, bitsOf
 *            For what the validator judges: every length definite, minimal and inside its parent,
 *            so a changed length byte or trailing garbage inside a SEQUENCE is a format failure
 *            instead of something a lenient parser quietly repairs.
 *   slices   readTlv, children, content, decodeOid
 *            For structures this simulator wrote itself and the requests its TSA and OCSP
 *            responder take from clients: any definite length form is accepted there, and a
 *            request is judged by what its fields say, not by its encoding.
 * Both decode OBJECT IDENTIFIERs with the same code (dottedOid).
 */
import { createHash } from 'node:crypto';

// ---- Writing -----------------------------------------------------------------------------------

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

// ---- Reading: shared -------------------------------------------------------------------------

/** The dotted form of an OBJECT IDENTIFIER's content octets (the reverse of `oid`). */
function dottedOid(body: Buffer): string {
  const out: bigint[] = [];
  let v = 0n;
  for (const x of body) {
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

/**
 * An INTEGER's content octets as lower-case hex without leading zero bytes ("00" for zero): the one
 * spelling of serial numbers, whichever reader found them.
 */
export function hexOfMagnitude(integerContent: Buffer): string {
  let i = 0;
  while (i < integerContent.length - 1 && integerContent[i] === 0) i++;
  return integerContent.subarray(i).toString('hex');
}

// ---- Reading: strict ---------------------------------------------------------------------------

export class DerError extends Error {
  override name = 'DerError';
}

export interface DerNode {
  tag: number;
  /** The buffer the node is a view into. */
  buf: Buffer;
  start: number;
  /** Header length (tag + length octets). */
  hdr: number;
  end: number;
}

export const bytesOf = (n: DerNode): Buffer => n.buf.subarray(n.start, n.end);
export const bodyOf = (n: DerNode): Buffer => n.buf.subarray(n.start + n.hdr, n.end);
export const isConstructed = (n: DerNode): boolean => (n.tag & 0x20) !== 0;

/** Reads one TLV at `start`: single-octet tag, definite length in its shortest form, inside `end`. */
export function readNode(buf: Buffer, start = 0, end = buf.length): DerNode {
  if (start >= end) throw new DerError(`truncated DER at offset ${start}`);
  const tag = buf[start]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-octet tag at offset ${start} (not used by CMS)`);
  let p = start + 1;
  if (p >= end) throw new DerError(`truncated DER length at offset ${p}`);
  const first = buf[p++]!;
  let len = first;
  if (first === 0x80) throw new DerError(`indefinite length at offset ${start} (BER, not DER)`);
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new DerError(`length of ${n} octets at offset ${start}`);
    if (p + n > end) throw new DerError(`truncated DER length at offset ${p}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    // DER: the shortest length form (no leading zero octet, long form only from 128).
    if (len < 0x80 || buf[start + 2] === 0) throw new DerError(`non-minimal length encoding at offset ${start}`);
  }
  const hdr = p - start;
  if (p + len > end) throw new DerError(`length ${len} at offset ${start} runs past its enclosing structure (ends at ${end})`);
  return { tag, buf, start, hdr, end: p + len };
}

/** Children of a constructed node; they must fill its content exactly. */
export function kids(n: DerNode): DerNode[] {
  if (!isConstructed(n)) throw new DerError(`tag 0x${n.tag.toString(16)} at offset ${n.start} is not constructed`);
  const out: DerNode[] = [];
  let p = n.start + n.hdr;
  while (p < n.end) {
    const c = readNode(n.buf, p, n.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/**
 * Parses `buf` as exactly one DER TLV and walks every constructed level (at most `maxNodes` nodes,
 * `maxDepth` deep), so any inconsistent length anywhere in the structure is found up front.
 * OCTET STRING / BIT STRING contents are not entered: where they hold DER (eContent, a TSTInfo), the
 * caller parses them with their own parseDer.
 */
export function parseDer(buf: Buffer, what = 'structure', maxNodes = 200_000, maxDepth = 64): DerNode {
  let root: DerNode;
  try {
    root = readNode(buf, 0, buf.length);
    if (root.end !== buf.length) throw new DerError(`${buf.length - root.end} trailing byte(s) after the ${what}`);
    let count = 0;
    const walk = (n: DerNode, depth: number): void => {
      if (++count > maxNodes) throw new DerError(`more than ${maxNodes} elements`);
      if (depth > maxDepth) throw new DerError(`nested deeper than ${maxDepth} levels`);
      if (isConstructed(n)) for (const c of kids(n)) walk(c, depth + 1);
    };
    walk(root, 0);
  } catch (e) {
    throw new DerError(`the ${what} is not valid DER: ${(e as Error).message}`);
  }
  return root;
}

export function expectTag(n: DerNode | undefined, tag: number, what: string): DerNode {
  if (!n || n.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found ${n ? `0x${n.tag.toString(16)}` : 'nothing'}`);
  return n;
}

/** Dotted form of an OBJECT IDENTIFIER node. */
export function oidOf(n: DerNode): string {
  const body = bodyOf(expectTag(n, 0x06, 'OBJECT IDENTIFIER'));
  if (body.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  return dottedOid(body);
}

/** A UTCTime or GeneralizedTime node as a Date (whole or fractional seconds, Z only, as DER requires). */
export function timeOf(n: DerNode): Date {
  const s = bodyOf(n).toString('latin1');
  let m: RegExpExecArray | null;
  if (n.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    return new Date(Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  if (n.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(s))) {
    const ms = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
  }
  throw new DerError(`not a DER time: "${s.slice(0, 40)}"`);
}

/** An OCTET STRING's content. */
export const octetsOf = (n: DerNode, what = 'OCTET STRING'): Buffer => bodyOf(expectTag(n, 0x04, what));

/** A BIT STRING's content without its unused-bits octet (which must be 0 for keys and signatures). */
export function bitsOf(n: DerNode, what = 'BIT STRING'): Buffer {
  const b = bodyOf(expectTag(n, 0x03, what));
  if (b.length === 0 || b[0] !== 0) throw new DerError(`${what} has unused bits`);
  return b.subarray(1);
}

// ---- Reading: slices ---------------------------------------------------------------------------

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
  return dottedOid(tlvBytes.subarray(t.hdr, t.end));
}
