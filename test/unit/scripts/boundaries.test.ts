/**
 * The architecture's import rules (.dependency-cruiser.cjs) catch what they name: a small tree
 * that breaks each rule once, and one that keeps them all, are cruised with the project's own
 * configuration, the way `npm run lint:boundaries` cruises src/.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ICruiseResult, IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes `files` into a fresh project (with the repository's node_modules) and cruises its src/. */
async function cruise(files: Record<string, string>): Promise<{ rule: string; from: string; to: string }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'boundaries-'));
  dirs.push(dir);
  const all: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'fixture', type: 'module', dependencies: { pino: '*' }, devDependencies: { vitest: '*' } }),
    ...files,
  };
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // In-process (loaded once for both cases), with the project's own rules and options.
  const { cruise: run } = await import('dependency-cruiser');
  const config = (await import(pathToFileURL(join(ROOT, '.dependency-cruiser.cjs')).href)).default as IConfiguration;
  const { cache: _cache, tsConfig: _ts, ...options } = config.options ?? {};
  const result = await run(['src'], { ...options, baseDir: dir, validate: true, ruleSet: { forbidden: config.forbidden } });
  return (result.output as ICruiseResult).summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe('import rules', { timeout: 60_000 }, () => {
  it('name every layer crossing the architecture forbids', async () => {
    const found = await cruise({
      'src/domain/service.ts':
        "import { store } from '../storage/store.js';\nimport { readFileSync } from 'node:fs';\nexport const svc = [store, readFileSync];\n",
      'src/domain/types.ts': "import type { Logger } from 'pino';\nexport type L = Logger;\n",
      'src/storage/store.ts': 'export const store = 1;\n',
      'src/http/routes.ts':
        "import { store } from '../storage/store.js';\nimport { app } from '../app.js';\nimport { p } from '../calibrate/profile.js';\nexport const r = [store, app, p];\n",
      'src/app.ts': "import { r } from './http/routes.js';\nexport const app = 1;\nexport const all = r;\n",
      'src/calibrate/profile.ts': 'export const p = 1;\n',
      'src/worker/worker.ts':
        "import { store } from '../storage/store.js';\nimport { engine } from '../signing/engine.js';\nimport type { Signer } from '../signing/signer.js';\nexport const w = [store, engine] as unknown as Signer;\n",
      'src/signing/engine.ts': "import { r } from '../http/routes.js';\nexport const engine = r;\n",
      'src/signing/signer.ts': 'export interface Signer { seal(): void }\n',
      'src/archive/zip.ts': "import { r } from '../http/routes.js';\nimport { expect } from 'vitest';\nexport const z = [r, expect];\n",
    });
    const rules = new Set(found.map((v) => v.rule));
    expect([...rules].sort()).toEqual(
      [
        'domain-imports-only-domain',
        'domain-does-no-io',
        'http-not-to-storage',
        'http-not-to-wiring',
        'http-not-to-calibrate',
        'worker-not-to-storage',
        'worker-not-to-signing-internals',
        'signing-archive-not-to-http',
        'no-cycles',
        'src-not-to-dev-dependencies',
      ].sort(),
    );
    // a type from a library for a port signature is allowed; the worker may use the Signer interface
    expect(found.filter((v) => v.from === 'src/domain/types.ts')).toEqual([]);
    expect(found.filter((v) => v.to === 'src/signing/signer.ts')).toEqual([]);
  });

  it('pass a tree that keeps to the layers', async () => {
    const found = await cruise({
      'src/domain/ports.ts': "import type { Logger } from 'pino';\nexport interface Store { get(id: number): string }\nexport type L = Logger;\n",
      'src/domain/service.ts': "import type { Store } from './ports.js';\nexport const make = (s: Store) => s.get(1);\n",
      'src/storage/store.ts': "import type { Store } from '../domain/ports.js';\nexport const store: Store = { get: () => 'x' };\n",
      'src/http/routes.ts': "import { make } from '../domain/service.js';\nexport const r = make;\n",
      'src/app.ts': "import { r } from './http/routes.js';\nimport { store } from './storage/store.js';\nexport const app = r(store);\n",
    });
    expect(found).toEqual([]);
  });
});
