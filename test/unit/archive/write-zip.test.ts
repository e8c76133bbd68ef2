import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectZip } from '../../../src/archive/inspect-zip.js';
import { defaultZipLimits } from '../../../src/archive/limits.js';
import { readEntries } from '../../../src/archive/read-entries.js';
import { writeZip } from '../../../src/archive/write-zip.js';
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
