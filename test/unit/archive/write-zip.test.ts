import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectZip } from '../../../src/archive/inspect-zip.js';
import { defaultZipLimits } from '../../../src/archive/limits.js';
import { readEntries } from '../../../src/archive/read-entries.js';
import { writeZip } from '../../../src/archive/write-zip.js';
import { centralRecord, DEFLATED, dataDescriptor, endRecords, localHeader, type WrittenEntry } from '../../../src/archive/zip-records.js';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { fixture, openFdCount, tempDir } from './helpers.js';
import { tinyPdf, tinyTxt, tinyXml } from './zip-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

async function collect(path: string): Promise<Array<{ name: string; bytes: Buffer }>> {
  const out: Array<{ name: string; bytes: Buffer }> = [];
  for await (const e of readEntries(path, defaultZipLimits)) out.push(e);
  return out;
}

describe('writeZip', () => {
  const files = [
    { name: 'contract.pdf', bytes: tinyPdf() },
    { name: 'contract.pdf.p7s', bytes: randomBytes(3000) }, // incompressible
    { name: 'invoice.xml', bytes: tinyXml() },
    { name: 'zażółć.txt', bytes: tinyTxt() },
    { name: 'empty.txt', bytes: Buffer.alloc(0) },
  ];

  it('round-trips through inspectZip and readEntries (sync iterable)', async () => {
    const dest = join(dir, 'result.zip');
    const written = await writeZip(dest, files);
    const onDisk = await readFile(dest);
    expect(written).toEqual({ size: onDisk.length, sha256: createHash('sha256').update(onDisk).digest('hex') });
    const inspected = await inspectZip(dest, defaultZipLimits);
    expect(inspected.map((e) => [e.name, e.size])).toEqual(files.map((f) => [f.name, f.bytes.length]));
    expect(await collect(dest)).toEqual(files);
    expect(await readdir(dir)).toEqual(['result.zip']);
  });

  it('round-trips from an async generator, stored and deflated alike', async () => {
    async function* gen(): AsyncGenerator<{ name: string; bytes: Buffer }> {
      for (const f of files) {
        await new Promise((r) => setImmediate(r));
        yield f;
      }
    }
    for (const compress of [true, false]) {
      const dest = join(dir, `result-${compress}.zip`);
      await writeZip(dest, gen(), { compress, mtime: new Date(Date.UTC(2024, 0, 1)) });
      expect(await collect(dest)).toEqual(files);
    }
  });

  it('pulls the next entry only after the previous one was written', async () => {
    let inFlight = 0;
    let maxAhead = 0;
    let pulled = 0;
    async function* gen(): AsyncGenerator<{ name: string; bytes: Buffer }> {
      for (let i = 0; i < 20; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - inFlight);
        yield { name: `f${i}.bin`, bytes: randomBytes(256 * 1024) };
        inFlight++;
      }
    }
    await writeZip(join(dir, 'r.zip'), gen());
    expect(maxAhead).toBeLessThanOrEqual(1);
  });

  it('leaves nothing behind when the source throws, and rethrows', async () => {
    async function* gen(): AsyncGenerator<{ name: string; bytes: Buffer }> {
      yield files[0]!;
      throw new Error('signer exploded');
    }
    const fdsBefore = await openFdCount();
    await expect(writeZip(join(dir, 'result.zip'), gen())).rejects.toThrow('signer exploded');
    expect(await readdir(dir)).toEqual([]);
    expect(await openFdCount()).toBe(fdsBefore);
  });

  it('streams file entries (deflated and stored) with data descriptors, beside in-memory ones', async () => {
    const big = Buffer.concat([randomBytes(300_000), Buffer.alloc(300_000, 65)]);
    const path = join(dir, 'input.bin');
    await writeFile(path, big);
    for (const compress of [true, false]) {
      const dest = join(dir, `streamed-${compress}.zip`);
      await writeZip(dest, [{ name: 'big.bin', path }, files[0]!, { name: 'again.bin', path }], { compress });
      const back = await collect(dest);
      expect(back.map((e) => e.name)).toEqual(['big.bin', files[0]!.name, 'again.bin']);
      // Buffer.equals: a deep equality over 600,000 elements would take seconds.
      expect([back[0]!.bytes.equals(big), back[1]!.bytes.equals(files[0]!.bytes), back[2]!.bytes.equals(big)]).toEqual([true, true, true]);
    }
  });

  it('stores an entry that deflating would not make smaller', async () => {
    const dest = join(dir, 'r.zip');
    await writeZip(dest, files);
    const zip = await readFile(dest);
    // Local header of the second entry (random bytes): compression method 0, sizes equal.
    const at = zip.indexOf(Buffer.from('contract.pdf.p7s')) - 30;
    expect(zip.readUInt32LE(at)).toBe(0x04034b50);
    expect(zip.readUInt16LE(at + 8)).toBe(0);
    expect(zip.readUInt32LE(at + 18)).toBe(3000);
  });

  it('writes the ZIP64 end records past 65,535 entries', async () => {
    const dest = join(dir, 'many.zip');
    const many = Array.from({ length: 70_000 }, (_, i) => ({ name: `f${i}.txt`, bytes: Buffer.from(`file ${i}`) }));
    await writeZip(dest, many);
    const zip = await readFile(dest);
    expect(zip.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]), zip.length - 120)).toBeGreaterThan(0);
    // yauzl reads the count from the ZIP64 end record (the classic one says 0xFFFF).
    const opened = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(dest, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))));
    expect(opened.entryCount).toBe(70_000);
    opened.close();
  }, 30_000);

  it('writes ZIP64 local headers and data descriptors that readers accept', async () => {
    // The form a streamed entry of 4 GiB or more takes, assembled here around a small one.
    const bytes = Buffer.from('ZIP64 '.repeat(500));
    const data = zlib.deflateRawSync(bytes);
    const entry: WrittenEntry = {
      name: Buffer.from('large.pdf'),
      method: DEFLATED,
      descriptor: true,
      crc32: zlib.crc32(bytes) >>> 0,
      compressedSize: data.length,
      size: bytes.length,
      offset: 0,
      mtime: new Date(Date.UTC(2026, 0, 1)),
    };
    const local = localHeader(entry, true);
    expect(local.readUInt32LE(18)).toBe(0xffffffff);
    const body = Buffer.concat([local, data, dataDescriptor(entry, true)]);
    const central = centralRecord(entry);
    const dest = join(dir, 'zip64.zip');
    await writeFile(dest, Buffer.concat([body, central, endRecords(1, body.length, central.length)]));
    expect(await collect(dest)).toEqual([{ name: 'large.pdf', bytes }]);
  });

  it('refuses nested and duplicate names', async () => {
    await expect(writeZip(join(dir, 'a.zip'), [{ name: 'dir/a.pdf', bytes: Buffer.from('x') }])).rejects.toThrow(/invalid entry name/);
    await expect(
      writeZip(join(dir, 'b.zip'), [
        { name: 'A.pdf', bytes: Buffer.from('x') },
        { name: 'a.PDF', bytes: Buffer.from('y') },
      ]),
    ).rejects.toThrow(/duplicate/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('readEntries', () => {
  it('yields every file of a valid fixture with its bytes', async () => {
    const entries = await collect(fixture('valid-utf8-names.zip'));
    expect(entries.map((e) => e.name)).toEqual(['Umowa – zażółć gęślą jaźń.pdf', '請求書.xml', 'Ñandú.txt']);
    expect(entries[1]?.bytes.toString()).toBe(tinyXml().toString());
  });

  it('closes the file when the consumer stops early', async () => {
    const before = await openFdCount();
    for (let i = 0; i < 5; i++) {
      for await (const e of readEntries(fixture('valid-flat.zip'), defaultZipLimits)) {
        expect(e.name).toBe('contract.pdf');
        break;
      }
    }
    expect(await openFdCount()).toBe(before);
  });

  it('applies the same checks as inspectZip before yielding anything', async () => {
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const e of readEntries(fixture('duplicate-name.zip'), defaultZipLimits)) seen.push(e.name);
      })(),
    ).rejects.toMatchObject({ code: 'package_invalid', extra: { reason: 'duplicate-name' } });
    expect(seen).toEqual([]);
  });
});
