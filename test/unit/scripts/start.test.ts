import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without declarations
import { staleReason } from '../../../scripts/start.mjs';

/** `npm start` rebuilds only when dist/ is older than a source or the TypeScript configuration. */

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

const at = (path: string, seconds: number, content = '') => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  utimesSync(path, seconds, seconds);
};

function tree(): string {
  root = mkdtempSync(join(tmpdir(), 'seal-start-'));
  at(join(root, 'tsconfig.json'), 1_000);
  at(join(root, 'tsconfig.build.json'), 1_000);
  at(join(root, 'src', 'cli.ts'), 2_000);
  at(join(root, 'src', 'http', 'routes.ts'), 2_000);
  at(join(root, 'src', 'types.d.ts'), 9_000); // declarations have no output of their own
  at(join(root, 'dist', 'src', 'cli.js'), 3_000);
  at(join(root, 'dist', 'src', 'http', 'routes.js'), 3_000);
  return root;
}

describe('staleReason (npm start)', () => {
  it('is null when every output is newer than its source and the configuration', () => {
    expect(staleReason(tree())).toBeNull();
  });

  it('names a source edited after the build', () => {
    const r = tree();
    at(join(r, 'src', 'http', 'routes.ts'), 4_000);
    expect(staleReason(r)).toBe(join('src', 'http', 'routes.ts') + ' changed');
  });

  it('names a source that has no output yet', () => {
    const r = tree();
    at(join(r, 'src', 'new-module.ts'), 2_500);
    expect(staleReason(r)).toBe(join('dist', 'src', 'new-module.js') + ' is missing');
  });

  it('rebuilds after a change of the TypeScript configuration, and when there is no dist/ at all', () => {
    const r = tree();
    at(join(r, 'tsconfig.build.json'), 5_000);
    expect(staleReason(r)).toBe('the TypeScript configuration changed');
    rmSync(join(r, 'dist'), { recursive: true });
    expect(staleReason(r)).toMatch(/is missing$/);
  });
});
