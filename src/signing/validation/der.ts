/**
 * A strict DER reader over the bytes as received. Validation works on views into the input, never on
 * a re-encoded copy: a signature or time-stamp is checked over exactly the bytes it carries, and a
 * structure whose lengths do not add up (a changed length byte, trailing garbage inside a SEQUENCE)
 * is a format failure instead of something a lenient parser quietly repairs.
 *
 *   readNode(buf, start?, end?): DerNode          // one TLV; definite, minimal length; fits in [start, end)
 *   parseDer(buf): DerNode                        // one TLV spanning the whole buffer, every constructed level checked
 *   kids(node): DerNode[]                         // children of a constructed node (they tile its content exactly)
 */

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
  expectTag(n, 0x06, 'OBJECT IDENTIFIER');
  const b = bodyOf(n);
  if (b.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift()!;
  const a = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [a, first - a * 40, ...parts].join('.');
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
