import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allDocBlocks, PASTED_DOCUMENTS, REPO } from '../../helpers/doc-blocks.js';

/**
 * Keeps the documents a user pastes from honest: every code block says who runs it (see
 * test/helpers/doc-blocks.ts), every block a test claims is used by a test, and no document links
 * outside the repository.
 */

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mjs|sh)$/.test(name) ? [path] : [];
  });
}

const FIXED = new Set(['output']);
const isNotRun = (marker: string) => marker.startsWith('not run, ');

describe('code blocks of README.md and docs/shipping.md', () => {
  const blocks = allDocBlocks();

  it('each has a doc-test marker', () => {
    const unmarked = blocks.filter((b) => b.marker === undefined).map((b) => `${b.file}:${b.line}`);
    expect(unmarked).toEqual([]);
  });

  it('each marked with an id has its own id, and a test that reads it by that id', () => {
    const ids = blocks.map((b) => b.marker!).filter((m) => !FIXED.has(m) && !isNotRun(m));
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    const testCode = [...sources(join(REPO, 'test')), ...sources(join(REPO, 'scripts'))]
      .filter((f) => !f.endsWith('doc-blocks.ts') && !f.endsWith('doc-blocks.test.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = ids.filter((id) => !testCode.includes(`docBlock('${id}')`));
    expect(unused).toEqual([]);
  });

  it('a block nothing runs says why (what it would need)', () => {
    for (const b of blocks.filter((x) => x.marker && isNotRun(x.marker))) {
      expect(b.marker!.length, `${b.file}:${b.line}`).toBeGreaterThan('not run, it needs '.length + 5);
    }
  });
});

describe('links', () => {
  const documents = [...PASTED_DOCUMENTS, 'docs/vendor-contract.md', 'BENCHMARKS.md', 'fixtures/README.md'];

  it.each(documents)('%s links only to files inside the repository, and they exist', (file) => {
    const text = readFileSync(join(REPO, file), 'utf8');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^(https?:|mailto:|#)/.test(t));
    for (const target of targets) {
      const path = join(REPO, dirname(file), target.split('#')[0]!);
      expect(relative(REPO, path).startsWith('..'), `${file} → ${target}`).toBe(false);
      expect(existsSync(path), `${file} → ${target}`).toBe(true);
    }
  });

  it('nothing a user reads cites a document outside the repository', () => {
    const files = [...documents, 'openapi/openapi.json', ...sources(join(REPO, 'src')).map((f) => relative(REPO, f))];
    const outside = /\.\.\/shared|\/work\/shared|SPEC §|SPEC\.md|signing\.md|pitfall P\d/;
    const offenders = files.filter((f) => outside.test(readFileSync(join(REPO, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
