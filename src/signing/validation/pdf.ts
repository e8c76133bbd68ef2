/**
 * Reads the signature fields of a PDF without a PDF parser and without copying the file: each
 * `/ByteRange [a b c d]` is located by a bounded byte scan, its `/Contents` hex decoded on its own,
 * and the covered bytes handed on as two views (hashed incrementally by the CMS check). The DSS
 * dictionary (PAdES-B-LT) is resolved by object number to the certificates, CRLs and OCSP
 * responses it lists.
 *
 * Approximations, written down: objects are found by their `N G obj` header (a DSS held inside a
 * compressed object stream is not found, so such a file reports B-T); the signature dictionary's
 * keys are read from the text between the nearest `<<` before its /ByteRange and the next `>>`
 * after its /Contents.
 *
 *   scanPdf(pdf, maxSignatures): PdfScan
 */
import { inflateSync } from 'node:zlib';
import { readNode } from '../der.js';
import { parsePdfDate } from '../pdf-date.js';

export interface PdfField {
  /** 1-based, in file order. */
  index: number;
  kind: 'signature' | 'document-timestamp';
  byteRange: [number, number, number, number];
  /** The CMS / time-stamp token, trimmed to its DER length. */
  contents: Buffer;
  /** The two covered byte ranges (views into the file). */
  covered: [Buffer, Buffer];
  /** End of the revision this field signs (c + d). */
  revisionEnd: number;
  subFilter?: string;
  /** /M of the signature dictionary. */
  m?: Date;
  /** Why the field cannot be checked (the ByteRange does not point at its /Contents, ...). */
  broken?: string;
}

export interface Dss {
  /** Offset of the `/DSS` key in the catalog that references it (the revision it belongs to). */
  offset: number;
  certs: Buffer[];
  crls: Buffer[];
  ocsps: Buffer[];
  problems: string[];
}

export interface PdfScan {
  fields: PdfField[];
  /** More /ByteRange entries than allowed: nothing else was read. */
  tooMany?: number;
  /** The last DSS (by position), if any. */
  dss?: Dss;
}

const BYTERANGE = Buffer.from('/ByteRange');
/** A signature /Contents larger than this is refused (real ones are kilobytes; LT data a few MB). */
export const MAX_CONTENTS_BYTES = 16 * 1024 * 1024;
/** Most DSS entries (certificates + CRLs + OCSP responses) read, and their most decoded bytes in all. */
const MAX_DSS_ENTRIES = 500;
const MAX_DSS_BYTES = 32 * 1024 * 1024;
/** How far the scan looks around a /ByteRange for its dictionary, and how much of its text it reads. */
const DICT_WINDOW = 64 * 1024;
const DICT_TEXT = 8 * 1024;
const MAX_STREAM = 16 * 1024 * 1024;
/** DSS entries that could not be read, named one by one in a report; the rest are counted. */
const MAX_PROBLEMS_LISTED = 5;

const HEX = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);
const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00;

/** Decodes the hex between `<` and `>` (whitespace allowed), stopping at the DER length of its content. */
function decodeHex(pdf: Buffer, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil((to - from) / 2));
  let n = 0;
  let hi = -1;
  for (let i = from; i < to; i++) {
    const c = pdf[i]!;
    if (isWs(c)) continue;
    const v = HEX(c);
    if (v < 0) throw new Error(`not a hex string (byte 0x${c.toString(16)} at offset ${i})`);
    if (hi < 0) hi = v;
    else {
      out[n++] = hi * 16 + v;
      hi = -1;
    }
  }
  if (hi >= 0) out[n++] = hi * 16;
  const raw = out.subarray(0, n);
  try {
    return Buffer.from(raw.subarray(0, readNode(raw, 0, raw.length).end));
  } catch {
    return Buffer.from(raw); // reported as not DER by the CMS parser
  }
}

function countByteRanges(pdf: Buffer, stopAfter: number): number {
  let n = 0;
  for (let p = pdf.indexOf(BYTERANGE); p >= 0 && n <= stopAfter; p = pdf.indexOf(BYTERANGE, p + BYTERANGE.length)) n++;
  return n;
}

function field(pdf: Buffer, at: number, index: number): PdfField | undefined {
  const head = pdf.toString('latin1', at, Math.min(pdf.length, at + 128));
  const m = /^\/ByteRange\s*\[\s*(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s+(\d{1,15})\s*\]/.exec(head);
  if (!m) return undefined;
  const br = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number, number];
  const [a, b, c, d] = br;
  const empty = Buffer.alloc(0);
  const f: PdfField = { index, kind: 'signature', byteRange: br, contents: empty, covered: [empty, empty], revisionEnd: c + d };
  const back = Math.max(0, at - DICT_WINDOW);
  const open = pdf.subarray(back, at).lastIndexOf('<<');
  const lo = open < 0 ? back : back + open;
  const valid = a === 0 && b > 0 && c > b && c + d <= pdf.length && pdf[b] === 0x3c && pdf[c - 1] === 0x3e;
  const from = valid ? Math.max(c, at + m[0].length) : at + m[0].length;
  const close = pdf.subarray(from, from + DICT_WINDOW).indexOf('>>');
  const hi = close < 0 ? Math.min(pdf.length, from + 2000) : from + close;
  // The dictionary's text without the /Contents hex string, which can be large.
  // Each part is bounded: a hole far from its /ByteRange must not make every field read the whole file.
  const parts: [number, number][] =
    valid && b >= lo && c <= hi
      ? [
          [Math.max(lo, b - DICT_TEXT), b],
          [c, Math.min(hi, c + DICT_TEXT)],
        ]
      : [[Math.max(lo, at - DICT_TEXT), Math.min(hi, at + DICT_TEXT)]];
  const dict = parts.map(([x, y]) => pdf.toString('latin1', x, y)).join(' ');
  const sf = /\/SubFilter\s*\/([A-Za-z0-9.#_-]+)/.exec(dict);
  if (sf) f.subFilter = sf[1]!;
  if (/\/Type\s*\/DocTimeStamp\b/.test(dict) || f.subFilter === 'ETSI.RFC3161') f.kind = 'document-timestamp';
  const mm = /\/M\s*\((D:[^)]*)\)/.exec(dict);
  const dt = mm ? parsePdfDate(mm[1]!) : undefined;
  if (dt) f.m = dt;
  if (!valid) {
    f.broken = "the signature's ByteRange does not match the file: the PDF was rewritten after this signature was made";
    return f;
  }
  if (c - b - 2 > 2 * MAX_CONTENTS_BYTES) {
    f.broken = `the signature /Contents is larger than ${MAX_CONTENTS_BYTES} bytes`;
    return f;
  }
  try {
    f.contents = decodeHex(pdf, b + 1, c - 1);
  } catch (e) {
    f.broken = `the signature /Contents is ${(e as Error).message}`;
    return f;
  }
  f.covered = [pdf.subarray(a, a + b), pdf.subarray(c, c + d)];
  return f;
}

/**
 * Offsets (just after the header) of the `N G obj` objects in `wanted`, the last definition winning
 * (later revisions override earlier ones): one pass over the file whatever the number of objects.
 */
function findObjects(pdf: Buffer, wanted: ReadonlySet<string>): Map<string, number> {
  const found = new Map<string, number>();
  const key = Buffer.from(' obj');
  for (let p = pdf.indexOf(key); p >= 0; p = pdf.indexOf(key, p + key.length)) {
    const head = pdf.toString('latin1', Math.max(0, p - 24), p);
    const m = /(?:^|[^0-9])(\d{1,10}) (\d{1,5})$/.exec(head);
    if (m && wanted.has(`${m[1]} ${m[2]}`)) found.set(`${m[1]} ${m[2]}`, p + key.length);
  }
  return found;
}

/** The decoded data of the stream object at `at`; counts against `budget` (bytes left). */
function streamData(pdf: Buffer, at: number, budget: { left: number }): Buffer {
  const s = pdf.indexOf('stream', at);
  const end = s < 0 ? -1 : pdf.indexOf('endstream', s);
  if (s < 0 || end < 0 || s - at > DICT_WINDOW) throw new Error('not a stream');
  const dict = pdf.toString('latin1', at, s);
  let start = s + 6;
  if (pdf[start] === 0x0d) start++;
  if (pdf[start] === 0x0a) start++;
  let stop = end;
  const len = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
  if (len && start + Number(len[1]) <= end) stop = start + Number(len[1]);
  else while (stop > start && isWs(pdf[stop - 1]!)) stop--;
  const raw = pdf.subarray(start, stop);
  let out: Buffer;
  if (/\/Filter\s*\/FlateDecode/.test(dict)) {
    if (budget.left <= 0) throw new Error('the DSS holds more data than this validator reads');
    out = inflateSync(raw, { maxOutputLength: Math.min(MAX_STREAM, budget.left) });
  } else if (/\/Filter/.test(dict)) throw new Error('uses a filter other than FlateDecode');
  else out = raw;
  budget.left -= out.length;
  if (budget.left < 0) throw new Error('the DSS holds more data than this validator reads');
  return out;
}

function refsIn(dict: string, key: string): [number, number][] {
  const m = new RegExp(`/${key}\\s*\\[([^\\]]*)\\]`).exec(dict);
  if (!m) return [];
  return [...m[1]!.matchAll(/(\d+)\s+(\d+)\s+R/g)].map((x) => [Number(x[1]), Number(x[2])]);
}

function readDss(pdf: Buffer): Dss | undefined {
  const key = Buffer.from('/DSS');
  const p = pdf.lastIndexOf(key);
  if (p < 0) return undefined;
  const dss: Dss = { offset: p, certs: [], crls: [], ocsps: [], problems: [] };
  const after = pdf.toString('latin1', p + key.length, Math.min(pdf.length, p + key.length + 64));
  let dict: string;
  const ref = /^\s*(\d+)\s+(\d+)\s+R/.exec(after);
  if (ref) {
    const at = findObjects(pdf, new Set([`${ref[1]} ${ref[2]}`])).get(`${ref[1]} ${ref[2]}`);
    if (at === undefined) {
      dss.problems.push('the DSS dictionary object is missing');
      return dss;
    }
    const end = pdf.indexOf('endobj', at);
    dict = pdf.toString('latin1', at, end < 0 ? Math.min(pdf.length, at + DICT_WINDOW) : Math.min(end, at + DICT_WINDOW));
  } else {
    const end = pdf.indexOf('>>', p);
    dict = pdf.toString('latin1', p, end < 0 ? Math.min(pdf.length, p + DICT_WINDOW) : Math.min(end + 2, p + DICT_WINDOW));
  }
  const lists = [
    ['Certs', dss.certs],
    ['CRLs', dss.crls],
    ['OCSPs', dss.ocsps],
  ] as const;
  const refs = lists.flatMap(([k, list]) => refsIn(dict, k).map(([n, g]) => ({ k, list, id: `${n} ${g}` })));
  if (refs.length > MAX_DSS_ENTRIES) {
    dss.problems.push(`the DSS lists ${refs.length} entries; this validator reads at most ${MAX_DSS_ENTRIES}`);
    refs.length = MAX_DSS_ENTRIES;
  }
  const at = findObjects(pdf, new Set(refs.map((r) => r.id)));
  const budget = { left: MAX_DSS_BYTES };
  const entryProblems: string[] = [];
  for (const [i, r] of refs.entries()) {
    if (budget.left <= 0) {
      entryProblems.push(`the DSS holds more data than this validator reads (${MAX_DSS_BYTES} bytes); ${refs.length - i} of its entries were not read`);
      break;
    }
    const o = at.get(r.id);
    try {
      if (o === undefined) throw new Error('object not found');
      r.list.push(streamData(pdf, o, budget));
    } catch (e) {
      entryProblems.push(`DSS ${r.k} entry ${r.id}: ${(e as Error).message}`);
    }
  }
  // A crafted DSS can make every entry fail: the report names a few, not hundreds.
  dss.problems.push(...entryProblems.slice(0, MAX_PROBLEMS_LISTED));
  if (entryProblems.length > MAX_PROBLEMS_LISTED) dss.problems.push(`${entryProblems.length - MAX_PROBLEMS_LISTED} more entries could not be read`);
  return dss;
}

/** Every signature / document time-stamp field, or `tooMany` when there are more than `maxSignatures`. */
export function scanPdf(pdf: Buffer, maxSignatures: number): PdfScan {
  const count = countByteRanges(pdf, maxSignatures);
  if (count > maxSignatures) return { fields: [], tooMany: count };
  const fields: PdfField[] = [];
  for (let p = pdf.indexOf(BYTERANGE); p >= 0; p = pdf.indexOf(BYTERANGE, p + BYTERANGE.length)) {
    const f = field(pdf, p, fields.length + 1);
    if (f) fields.push(f);
  }
  const dss = fields.length ? readDss(pdf) : undefined;
  return { fields, ...(dss ? { dss } : {}) };
}
