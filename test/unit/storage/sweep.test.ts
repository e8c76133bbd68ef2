import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepDataDir } from '../../../src/storage/sweep.js';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('sweepDataDir', () => {
  it('removes what no batch refers to (and everything in tmp/), keeps what one does and the PKI', () => {
    root = mkdtempSync(join(tmpdir(), 'seal-sweep-'));
    for (const d of ['packages', 'results', 'tmp/work', 'pki']) mkdirSync(join(root, d), { recursive: true });
    const put = (rel: string, bytes: number) => writeFileSync(join(root, rel), Buffer.alloc(bytes));
    put('packages/1-kept.zip', 10);
    put('packages/2-partial-upload.zip', 100);
    put('packages/3-unreferenced.zip', 1000);
    put('results/1-kept.zip', 20);
    put('results/.4-x.zip.abc.part', 200);
    put('results/5-orphan.zip', 2000);
    put('tmp/work/in-123', 5);
    put('pki/ca.pem', 7);
    const swept = sweepDataDir(root, new Set([join('packages', '1-kept.zip'), join('results', '1-kept.zip')]));
    expect(swept).toEqual({ files: 5, bytes: 100 + 1000 + 200 + 2000 + 5 });
    expect(readdirSync(join(root, 'packages'))).toEqual(['1-kept.zip']);
    expect(readdirSync(join(root, 'results'))).toEqual(['1-kept.zip']);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    expect(readdirSync(join(root, 'pki'))).toEqual(['ca.pem']);
  });
});
