/**
 * Incremental updates of a PDF (ISO 32000-1 §7.5.6): the input's bytes stay a byte-exact prefix of
 * the output, and each revision appends only new or changed objects, a cross-reference section of
 * the kind the file already uses (a classic table, or an uncompressed cross-reference stream after
 * a file that uses streams), and a trailer whose /Prev points at the previous section. This keeps
 * every earlier signature's ByteRange pointing at its own bytes.
 *
 *   openForUpdate(pdf: Buffer): Promise<PdfUpdater>
 *   updater.lookupDict(ref) / .catalog / .firstPage / .markChanged(ref) / .add(obj | rawBytes)
 *   updater.commit(): { bytes, objectOffsets }                  // appends one revision
 *
 * pdf-lib's parser reads the objects (sequentially, so later revisions override earlier ones, and
 * objects inside object streams are found too); serialising is ours, so nothing of the input is
 * re-written.
 */
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFParser, PDFRef, type PDFContext, type PDFObject } from 'pdf-lib';

/** The PDF cannot take another revision (encrypted, damaged cross-references, locked by DocMDP). */
export class PdfRefusal extends Error {}

/** A pdf-lib object class (their constructors are not public). */
export type Kind<T> = { prototype: T };

interface Trailer {
  root: PDFRef;
  info?: PDFObject;
  id?: PDFObject;
}

export interface PdfUpdater {
  readonly context: PDFContext;
  readonly catalogRef: PDFRef;
  readonly catalog: PDFDict;
  /** The first page's leaf dictionary and its reference. */
  firstPage(): { ref: PDFRef; dict: PDFDict };
  /** Follows a reference (or returns the direct object). */
  resolve<T extends PDFObject>(o: PDFObject | undefined, type: Kind<T>): T | undefined;
  /** Queues an existing (mutated) indirect object for the next revision. */
  markChanged(ref: PDFRef): void;
  /** Allocates an object number for a new object, written in the next revision. */
  add(obj: PDFObject | Buffer): PDFRef;
  /** Allocates an object number whose body is supplied at commit (see `commit`). */
  reserve(): PDFRef;
  /**
   * Appends one revision. `late` supplies bodies for reserved objects; `bytes` is the whole file
   * after the revision, `offsets` maps object number → byte offset of its `n g obj` line.
   */
  commit(late?: Map<number, Buffer>): { bytes: Buffer; offsets: Map<number, number> };
  /** The file as it stands (input + committed revisions). */
  bytes(): Buffer;
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const MAX_OBJECTS = 8_388_607;

/** Locates the last `startxref` and reads the section it points at (kind, /Size). */
function lastXref(pdf: Buffer): { offset: number; kind: 'table' | 'stream'; size: number } {
  const tail = pdf.subarray(Math.max(0, pdf.length - 2048)).toString('latin1');
  const m = /startxref\s+(\d+)\s*(?:%%EOF)?\s*$/.exec(tail) ?? /startxref\s+(\d+)(?![\s\S]*startxref)/.exec(tail);
  if (!m) throw new PdfRefusal('the PDF has no startxref at its end (truncated or damaged); repair it before sealing');
  const offset = Number(m[1]);
  if (offset <= 0 || offset >= pdf.length) throw new PdfRefusal(`startxref points outside the file (${offset}); repair the PDF before sealing`);
  const head = pdf.subarray(offset, Math.min(pdf.length, offset + 4096)).toString('latin1');
  if (/^xref\s/.test(head)) {
    const t = pdf.subarray(offset, Math.min(pdf.length, offset + 4_000_000)).toString('latin1');
    const tr = t.indexOf('trailer');
    const size = tr >= 0 ? /\/Size\s+(\d+)/.exec(t.slice(tr)) : null;
    if (!size) throw new PdfRefusal('the cross-reference table has no trailer /Size; repair the PDF before sealing');
    return { offset, kind: 'table', size: Number(size[1]) };
  }
  if (/^\d+\s+\d+\s+obj\b/.test(head) && /\/Type\s*\/XRef\b/.test(head.slice(0, head.indexOf('stream') >>> 0))) {
    const size = /\/Size\s+(\d+)/.exec(head);
    if (!size) throw new PdfRefusal('the cross-reference stream has no /Size; repair the PDF before sealing');
    return { offset, kind: 'stream', size: Number(size[1]) };
  }
  throw new PdfRefusal(`startxref (${offset}) does not point at a cross-reference section; repair the PDF before sealing`);
}

/**
 * For a file whose cross-references cannot be followed: the offset of every `n g obj` (the last
 * one of each number wins, as a reader reconstructing the file takes it). Only for files without
 * object streams, whose objects all stand at such offsets.
 */
function scanObjects(pdf: Buffer): { num: number; gen: number; offset: number }[] {
  const text = pdf.toString('latin1');
  const byNum = new Map<number, { num: number; gen: number; offset: number }>();
  const re = /(^|[\r\n])(\d+)[ \t]+(\d+)[ \t]+obj\b/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const num = Number(m[2]);
    byNum.set(num, { num, gen: Number(m[3]), offset: m.index + m[1]!.length });
  }
  return [...byNum.values()];
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Runs of consecutive object numbers: [[first, count], …]. */
function runs(nums: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of nums) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === n) last[1]++;
    else out.push([n, 1]);
  }
  return out;
}

export async function openForUpdate(input: Buffer): Promise<PdfUpdater> {
  let file = input;
  // A file whose startxref chain is damaged (readers rebuild it by scanning) gets a first revision
  // with a complete cross-reference table and no /Prev, so readers need not rebuild it again; a
  // damaged file with object streams cannot be listed that way and is refused.
  let xref: { offset: number | undefined; kind: 'table' | 'stream'; size: number };
  let rebuilt: { num: number; gen: number; offset: number }[] | undefined;
  try {
    xref = lastXref(file);
  } catch (e) {
    if (!(e instanceof PdfRefusal) || file.includes('/ObjStm')) throw e;
    rebuilt = scanObjects(file);
    xref = { offset: undefined, kind: 'table', size: Math.max(0, ...rebuilt.map((o) => o.num)) + 1 };
  }
  const context = await PDFParser.forBytesWithOptions(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), Infinity).parseDocument();
  if (context.trailerInfo.Encrypt) throw new PdfRefusal('the PDF is encrypted; the simulator seals unencrypted PDFs only');
  const root = context.trailerInfo.Root;
  if (!(root instanceof PDFRef)) throw new PdfRefusal('the PDF has no document catalog (/Root); repair it before sealing');
  const catalog = context.lookup(root);
  if (!(catalog instanceof PDFDict)) throw new PdfRefusal('the PDF /Root is not a dictionary; repair it before sealing');
  const trailer: Trailer = {
    root,
    ...(context.trailerInfo.Info ? { info: context.trailerInfo.Info } : {}),
    ...(context.trailerInfo.ID ? { id: context.trailerInfo.ID } : {}),
  };
  // Object numbers go on from the larger of the trailer's /Size and what was parsed (a
  // cross-reference stream object is never assigned into pdf-lib's context).
  let next = Math.max(xref.size, context.largestObjectNumber + 1);
  // ISO 32000-1 Annex C: at most 8,388,607 indirect objects; a larger /Size is a damaged (or hostile) file.
  if (next > MAX_OBJECTS) throw new PdfRefusal(`the PDF claims ${next} objects (/Size), more than a PDF may have (${MAX_OBJECTS}); repair it before sealing`);
  let changed = new Set<string>();
  let added: { ref: PDFRef; body?: PDFObject | Buffer }[] = [];

  const resolve = <T extends PDFObject>(o: PDFObject | undefined, type: Kind<T>): T | undefined => {
    const v = o instanceof PDFRef ? context.lookup(o) : o;
    return v instanceof (type as unknown as abstract new () => T) ? (v as T) : undefined;
  };

  const u: PdfUpdater = {
    context,
    catalogRef: root,
    catalog,
    firstPage() {
      let node = resolve(catalog.get(PDFName.of('Pages')), PDFDict);
      let ref = catalog.get(PDFName.of('Pages'));
      for (let depth = 0; node && depth < 64; depth++) {
        const kids = resolve(node.get(PDFName.of('Kids')), PDFArray);
        if (!kids) break; // a leaf
        if (kids.size() === 0) throw new PdfRefusal('the PDF has no pages');
        ref = kids.get(0);
        node = resolve(ref, PDFDict);
      }
      if (!node || !(ref instanceof PDFRef)) throw new PdfRefusal('the PDF has no pages');
      return { ref, dict: node };
    },
    resolve,
    markChanged(ref) {
      // A new object is written with the revision anyway.
      if (added.some((a) => a.ref.objectNumber === ref.objectNumber)) return;
      changed.add(`${ref.objectNumber} ${ref.generationNumber}`);
    },
    add(obj) {
      const ref = PDFRef.of(next++);
      if (!Buffer.isBuffer(obj)) context.assign(ref, obj);
      added.push({ ref, body: obj });
      return ref;
    },
    reserve() {
      const ref = PDFRef.of(next++);
      added.push({ ref });
      return ref;
    },
    bytes: () => file,
    commit(late) {
      const parts: Buffer[] = [];
      let pos = file.length;
      const push = (b: Buffer): void => {
        parts.push(b);
        pos += b.length;
      };
      if (file[file.length - 1] !== 0x0a && file[file.length - 1] !== 0x0d) push(latin1('\n'));
      const offsets = new Map<number, number>();
      const entries: { num: number; gen: number; offset: number }[] = [];
      const write = (num: number, gen: number, body: Buffer): void => {
        offsets.set(num, pos);
        entries.push({ num, gen, offset: pos });
        push(latin1(`${num} ${gen} obj\n`));
        push(body);
        push(latin1('\nendobj\n'));
      };
      for (const key of changed) {
        const [num, gen] = key.split(' ').map(Number) as [number, number];
        const obj = context.lookup(PDFRef.of(num, gen));
        if (!obj) continue;
        write(num, gen, latin1(obj.toString()));
      }
      for (const a of added) {
        const body = a.body === undefined ? late?.get(a.ref.objectNumber) : Buffer.isBuffer(a.body) ? a.body : latin1(a.body.toString());
        if (!body) throw new Error(`object ${a.ref.objectNumber} was reserved but given no body`);
        write(a.ref.objectNumber, 0, body);
      }
      if (rebuilt) {
        for (const o of rebuilt) if (!offsets.has(o.num)) entries.push(o);
        rebuilt = undefined;
      }
      const trailerEntries = (size: number): string =>
        `/Size ${size} /Root ${trailer.root.toString()}` +
        (trailer.info ? ` /Info ${trailer.info.toString()}` : '') +
        (trailer.id ? ` /ID ${trailer.id.toString()}` : '') +
        (xref.offset !== undefined ? ` /Prev ${xref.offset}` : '');
      const xrefAt = pos;
      if (xref.kind === 'table') {
        entries.sort((a, b) => a.num - b.num);
        let t = xref.offset === undefined ? 'xref\n0 1\n0000000000 65535 f\r\n' : 'xref\n';
        let i = 0;
        for (const [first, count] of runs(entries.map((e) => e.num))) {
          t += `${first} ${count}\n`;
          for (const e of entries.slice(i, i + count)) t += `${pad(e.offset, 10)} ${pad(e.gen, 5)} n\r\n`;
          i += count;
        }
        t += `trailer\n<< ${trailerEntries(next)} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
        push(latin1(t));
      } else {
        // A cross-reference stream (uncompressed: W [1 4 2]) that lists itself too.
        const selfNum = next++;
        entries.push({ num: selfNum, gen: 0, offset: xrefAt });
        entries.sort((a, b) => a.num - b.num);
        const data = Buffer.alloc(entries.length * 7);
        entries.forEach((e, i) => {
          data[i * 7] = 1;
          data.writeUInt32BE(e.offset, i * 7 + 1);
          data.writeUInt16BE(e.gen, i * 7 + 5);
        });
        const index = runs(entries.map((e) => e.num))
          .map(([f, c]) => `${f} ${c}`)
          .join(' ');
        push(latin1(`${selfNum} 0 obj\n<< /Type /XRef ${trailerEntries(next)} /W [1 4 2] /Index [${index}] /Length ${data.length} >>\nstream\n`));
        push(data);
        push(latin1(`\nendstream\nendobj\nstartxref\n${xrefAt}\n%%EOF\n`));
      }
      file = Buffer.concat([file, ...parts]);
      xref = { offset: xrefAt, kind: xref.kind, size: next };
      changed = new Set();
      added = [];
      return { bytes: file, offsets };
    },
  };
  return u;
}

/** Appends `ref` to the array under `key` of `dict` (creating it), marking whichever object changed. */
export function appendToArray(u: PdfUpdater, owner: { ref?: PDFRef; dict: PDFDict }, key: string, ref: PDFRef): void {
  const name = PDFName.of(key);
  const cur = owner.dict.get(name);
  if (cur instanceof PDFRef) {
    const arr = u.context.lookup(cur);
    if (arr instanceof PDFArray) {
      arr.push(ref);
      u.markChanged(cur);
      return;
    }
  }
  if (cur instanceof PDFArray) cur.push(ref);
  else owner.dict.set(name, u.context.obj([ref]));
  if (owner.ref) u.markChanged(owner.ref);
}

export const num = (n: number): PDFNumber => PDFNumber.of(n);
