import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealSigner, type RealSigner } from '../../../src/signing/real-signer.js';
import type { FileOutcome, InputFile, Signer } from '../../../src/signing/signer.js';
import type { Pki } from '../../../src/signing/pki.js';
import type { ValidationReport } from '../../../src/signing/validate.js';
import { NOW, doc, flip, processById, sharedPki } from './helpers.js';

let pki: Pki;
let cleanup: () => void;
let signer: RealSigner;
beforeAll(async () => {
  ({ pki, cleanup } = await sharedPki());
  signer = createRealSigner({ pki, threads: 2 });
  await signer.warmup(); // workers start from the .ts source here (tsx bootstrap)
}, 120_000);
afterAll(async () => {
  await signer.close?.();
  cleanup();
});

const FILES: InputFile[] = ['invoice.pdf', 'report.pdf', 'invoice.xml', 'notes.txt', 'not-a-pdf.pdf'].map((n) => ({ name: n, bytes: doc(n) }));

async function run(processId: number, files = FILES, extra: Partial<Parameters<Signer['processFile']>[1]> = {}): Promise<FileOutcome[]> {
  const process = processById(processId);
  return Promise.all(files.map((f) => signer.processFile(f, { process, now: NOW, ...extra })));
}

const names = (o: FileOutcome[]): Record<string, string[] | false> =>
  Object.fromEntries(o.map((x) => [x.fileName, x.success ? x.outputs.map((f) => f.name) : false]));

async function validateAll(files: InputFile[]): Promise<FileOutcome[]> {
  const map = new Map(files.map((f) => [f.name, f.bytes]));
  return run(4, files, { now: new Date(), siblings: (n) => map.get(n) });
}

describe('createRealSigner: processes 1–9 through the worker pool', () => {
  it('uses a pool of the requested size', () => {
    expect(signer.threads).toBe(2);
    expect(signer.kind).toBe('real test PKI');
  });

  it('process 1 (PAdES-B-T): PDFs sealed in place, others fail clearly', async () => {
    const o = await run(1);
    expect(names(o)).toEqual({
      'invoice.pdf': ['invoice.pdf'],
      'report.pdf': ['report.pdf'],
      'invoice.xml': false,
      'notes.txt': false,
      'not-a-pdf.pdf': false,
    });
    expect(o.find((x) => x.fileName === 'notes.txt')!.detail).toMatch(/accepts only \.pdf/);
    expect(o.find((x) => x.fileName === 'not-a-pdf.pdf')!.detail).toMatch(/not a PDF/);
    expect(o.find((x) => x.fileName === 'invoice.pdf')!.detail).toBe('PAdES-B-T (ETSI.CAdES.detached, incremental update)');
    const broken = await run(1, [{ name: 'broken.pdf', bytes: Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog\n%%EOF') }]);
    expect(broken[0]!.success).toBe(false);
    expect(broken[0]!.detail).toMatch(/cannot be parsed/);
    const v = await validateAll(o.flatMap((x) => x.outputs));
    expect(v.map((x) => [x.fileName, x.success])).toEqual([
      ['invoice.pdf', true],
      ['report.pdf', true],
    ]);
  });

  it('process 5 (PAdES-B-B)', async () => {
    const o = await run(5, FILES.slice(0, 2));
    expect(names(o)).toEqual({ 'invoice.pdf': ['invoice.pdf'], 'report.pdf': ['report.pdf'] });
    const v = await validateAll(o.flatMap((x) => x.outputs));
    const rep = JSON.parse(v[0]!.outputs[1]!.bytes.toString()) as ValidationReport;
    expect(rep).toMatchObject({ valid: true, format: 'PAdES', timestamp: { present: false } });
  });

  it.each([
    [2, 'p7s'],
    [6, 'p7s'],
  ])('process %d (CAdES detached): each file plus <name>.%s', async (id) => {
    const o = await run(id);
    for (const f of FILES) expect(names(o)[f.name]).toEqual([f.name, `${f.name}.p7s`]);
    const out = o.flatMap((x) => x.outputs);
    const v = await validateAll(out);
    expect(v.every((x) => x.success)).toBe(true);
    const rep = JSON.parse(v.find((x) => x.fileName === 'notes.txt.p7s')!.outputs[1]!.bytes.toString()) as ValidationReport;
    expect(rep.timestamp.present).toBe(id === 2);
    // tamper one data file: its pair fails, the others stay valid
    const tampered = out.map((f) => (f.name === 'notes.txt' ? { name: f.name, bytes: flip(f.bytes, 0) } : f));
    const vt = await validateAll(tampered);
    expect(
      vt
        .filter((x) => !x.success)
        .map((x) => x.fileName)
        .sort(),
    ).toEqual(['notes.txt', 'notes.txt.p7s']);
  });

  it.each([7, 8])('process %d (CAdES enveloping): <name>.p7m only', async (id) => {
    const o = await run(id);
    for (const f of FILES) expect(names(o)[f.name]).toEqual([`${f.name}.p7m`]);
    const v = await validateAll(o.flatMap((x) => x.outputs));
    expect(v.every((x) => x.success)).toBe(true);
  });

  it.each([3, 9])('process %d (XAdES): XML enveloped in place, other files detached <name>.xades.xml', async (id) => {
    const o = await run(id);
    expect(names(o)).toEqual({
      'invoice.pdf': ['invoice.pdf', 'invoice.pdf.xades.xml'],
      'report.pdf': ['report.pdf', 'report.pdf.xades.xml'],
      'invoice.xml': ['invoice.xml'],
      'notes.txt': ['notes.txt', 'notes.txt.xades.xml'],
      'not-a-pdf.pdf': ['not-a-pdf.pdf', 'not-a-pdf.pdf.xades.xml'],
    });
    const out = o.flatMap((x) => x.outputs);
    const v = await validateAll(out);
    expect(v.filter((x) => !x.success).map((x) => x.detail)).toEqual([]);
    const rep = JSON.parse(v.find((x) => x.fileName === 'invoice.xml')!.outputs[1]!.bytes.toString()) as ValidationReport;
    expect(rep.timestamp).toMatchObject({ present: id === 9, valid: id === 9 });
  });

  it('process 4 (validate): unsigned files are reported, with the original kept in the output', async () => {
    const v = await run(4, [{ name: 'notes.txt', bytes: doc('notes.txt') }]);
    expect(v[0]).toMatchObject({ success: false, signed: false });
    expect(v[0]!.outputs.map((f) => f.name)).toEqual(['notes.txt', 'notes.txt.validation.json']);
  });

  it.each(['expired', 'untrusted'] as const)('sealIdentity %s seals, and validation rejects it', async (which) => {
    const o = await run(2, [FILES[3]!], { sealIdentity: which });
    expect(o[0]!.success).toBe(true);
    expect(o[0]!.detail).toContain(which);
    const v = await validateAll(o[0]!.outputs);
    expect(v.map((x) => x.success)).toEqual([false, false]);
    // also when the tenant's clock lies inside the expired certificate's validity
    const inside = new Date(pki.expiredSeal.cert.notAfter.getTime() - 86_400_000);
    const map = new Map(o[0]!.outputs.map((f) => [f.name, f.bytes]));
    const v2 = await run(4, o[0]!.outputs, { now: inside, siblings: (n) => map.get(n) });
    expect(v2.map((x) => x.success)).toEqual([false, false]);
  });

  it('never throws: a worker-side failure is a success:false outcome', async () => {
    const weird = { ...processById(1), format: undefined };
    const o = await signer.processFile({ name: 'x.pdf', bytes: doc('invoice.pdf') }, { process: weird, now: NOW });
    expect(o.success).toBe(false);
  });

  it('a small document travels in the messages and a large one through files, with the same result', async () => {
    const small = { name: 'small.txt', bytes: Buffer.from('a small document\n') };
    const large = { name: 'large.txt', bytes: Buffer.alloc(9 * 1024 * 1024, 0x61) }; // over the 8 MiB handed over in memory
    const [s, l] = await run(2, [small, large]);
    for (const [input, o] of [
      [small, s!],
      [large, l!],
    ] as const) {
      expect(o.success, o.detail).toBe(true);
      expect(o.outputs.map((f) => f.name)).toEqual([input.name, `${input.name}.p7s`]);
      expect(o.outputs[0]!.bytes.equals(input.bytes)).toBe(true); // the data file of a detached seal is the input, unchanged
    }
    const v = await validateAll([...s!.outputs, ...l!.outputs]);
    expect(v.map((x) => [x.fileName, x.success])).toEqual([
      ['small.txt', true],
      ['small.txt.p7s', true],
      ['large.txt', true],
      ['large.txt.p7s', true],
    ]);
  });

  it('in-process mode (threads: 0) gives the same outputs', async () => {
    const s0 = createRealSigner({ pki, threads: 0 });
    const o = await s0.processFile(FILES[3]!, { process: processById(7), now: NOW });
    expect(o.outputs.map((f) => f.name)).toEqual(['notes.txt.p7m']);
    await s0.close?.();
  });
});
