import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docBlock } from '../helpers/doc-blocks.js';
import { assertBuilt } from '../e2e/process.js';
import {
  ctrlC,
  DOCUMENTS_ZIP,
  killGroup,
  leftovers,
  makeProject,
  pack,
  type Project,
  runIn,
  SEAL_CLIENT,
  startLine,
  takeCloses,
  timedClose,
  write,
} from './harness.js';

/**
 * The package in the user's seat: packed, installed into fresh ESM and CommonJS projects, and every
 * example of README.md and docs/shipping.md run there as written (read from the documents by
 * marker), with Node's own fetch and its keep-alive connections. Each run must pass, each close()
 * must return within 1 s, and no seal-simulator-* directory may be left behind.
 */

const CLOSE_BOUND_MS = 1000;
const overrides = JSON.parse(docBlock('consumer-overrides')) as Record<string, unknown>;

let work: string;
let tarball: string;

beforeAll(async () => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'seal-consumer-'));
  tarball = await pack(work);
}, 180_000);

afterAll(() => {
  if (work && !process.env.KEEP_CONSUMER_PROJECTS) rmSync(work, { recursive: true, force: true });
});

/**
 * The run passed (its output matches `passed`), called close() `closes` times, each within the
 * bound, and left no temporary directory. The evidence is collected (and cleared) before anything
 * is asserted, so one failing run cannot spill into the next.
 */
function expectClean(project: Project, run: { code: number | null; stdout: string; stderr: string }, closes: number, passed?: RegExp): void {
  const timed = takeCloses(project);
  const left = leftovers(project);
  const output = `${run.stdout}\n${run.stderr}`;
  expect(run.code, output).toBe(0);
  if (passed) expect(output).toMatch(passed);
  expect(timed, 'close() calls timed').toHaveLength(closes);
  for (const c of timed) expect(c.ms, 'close() took').toBeLessThanOrEqual(CLOSE_BOUND_MS);
  expect(left, 'temporary directories left').toEqual([]);
}

function expectNoEngineWarningsFromTheSimulator(project: Project): void {
  const log = readFileSync(join(project.dir, 'install.log'), 'utf8');
  expect(log).not.toMatch(/EBADENGINE[\s\S]{0,200}(cookie|content-disposition)/);
}

describe('an ES module project', { timeout: 240_000 }, () => {
  let esm: Project;

  beforeAll(async () => {
    esm = await makeProject(join(work, 'esm'), 'module', tarball, ['vitest@4.1.12', 'vite@8.3.8'], overrides);
    copyFileSync(DOCUMENTS_ZIP, join(esm.dir, 'documents.zip'));
    write(esm, 'src/seal-client.js', SEAL_CLIENT);
  }, 900_000);

  it("installs without engine warnings from the simulator's dependencies (with the documented overrides)", () => {
    expectNoEngineWarningsFromTheSimulator(esm);
  });

  it("runs the README's startSimulator example", async () => {
    write(esm, 'readme.mjs', timedClose(docBlock('readme-start-simulator')));
    expectClean(esm, await runIn(esm, process.execPath, ['readme.mjs'], 60_000), 1);
  });

  it("runs docs/shipping.md's startSimulator example", async () => {
    write(esm, 'shipping.mjs', timedClose(docBlock('shipping-start-simulator')));
    expectClean(esm, await runIn(esm, process.execPath, ['shipping.mjs'], 60_000), 1);
  });

  it("runs the vitest beforeAll/afterAll example: a whole batch sealed and downloaded in the test's own process", async () => {
    rmSync(join(esm.dir, 'vitest.config.ts'), { force: true }); // no globalSetup in this run
    write(esm, 'test/seal-batch.test.ts', timedClose(docBlock('vitest-before-all')));
    copyFileSync(DOCUMENTS_ZIP, join(esm.dir, 'test', 'documents.zip'));
    const run = await runIn(esm, 'npx', ['vitest', 'run', 'test/seal-batch.test.ts'], 120_000);
    expectClean(esm, run, 1, /Tests\s+1 passed/);
  });

  it('runs the vitest globalSetup example, with a test of its own that downloads a sealed batch', async () => {
    write(esm, 'vitest.config.ts', docBlock('vitest-config'));
    write(esm, 'test/seal-simulator.setup.ts', timedClose(docBlock('vitest-global-setup')));
    write(esm, 'test/seal-client.test.ts', docBlock('vitest-global-test'));
    write(
      esm,
      'test/seal-download.test.ts',
      `import { inject, it, expect } from 'vitest';
import { SealClient } from '../src/seal-client.js';

it('downloads a sealed batch', async () => {
  const zip = await new SealClient(inject('sealUrl'), inject('sealApiKey')).seal(1, 'documents.zip');
  expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\\x03\\x04');
}, 60_000);
`,
    );
    const run = await runIn(esm, 'npx', ['vitest', 'run', 'test/seal-client.test.ts', 'test/seal-download.test.ts'], 120_000);
    expectClean(esm, run, 1, /Tests\s+2 passed/);
  });

  it.each([
    { doc: 'README.md', block: () => docBlock('readme-cli') },
    { doc: 'docs/shipping.md', block: () => docBlock('shipping-cli') },
  ])('runs the CLI as $doc shows it: npx seal-simulator --port 0, then Ctrl-C', async ({ block }) => {
    const command = block().replace(/#.*$/gm, '').trim();
    expect(command).toMatch(/^npx seal-simulator --port 0\b/);
    const [cmd, ...args] = command.split(/\s+/);
    const child = spawn(cmd!, args, { cwd: esm.dir, env: esm.env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      const sim = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start line within 60 s\n${out}\n${err}`)), 60_000);
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const line = startLine(out);
          if (line) {
            clearTimeout(timer);
            resolve(line);
          }
        });
      });
      // Node's fetch keeps these connections alive after the answers.
      const created = await fetch(`${sim.url}/api/CreateBatch/1`, { method: 'POST', headers: { 'API-KEY': 'cli-user' } });
      expect(created.status).toBe(201);
      await created.json();
      expect((await fetch(`${sim.url}/_simulator/health`)).status).toBe(200);
      const ms = await ctrlC(child, sim.pid);
      await closed;
      expect(ms, "the simulator's exit after Ctrl-C (ms)").toBeLessThanOrEqual(CLOSE_BOUND_MS);
      expect(out, err).toMatch(/"msg":"stopped"/);
      expect(leftovers(esm)).toEqual([]);
    } finally {
      killGroup(child, 'SIGKILL');
    }
  });
});

describe('a CommonJS project', { timeout: 240_000 }, () => {
  let cjs: Project;

  beforeAll(async () => {
    cjs = await makeProject(join(work, 'cjs'), 'commonjs', tarball, ['jest@30.5.2'], overrides);
    copyFileSync(DOCUMENTS_ZIP, join(cjs.dir, 'documents.zip'));
  }, 900_000);

  it("installs without engine warnings from the simulator's dependencies (with the documented overrides)", () => {
    expectNoEngineWarningsFromTheSimulator(cjs);
  });

  it('runs the CommonJS example (require)', async () => {
    write(cjs, 'seal.cjs', timedClose(docBlock('commonjs')));
    const run = await runIn(cjs, process.execPath, ['seal.cjs'], 60_000);
    expectClean(cjs, run, 1, /^201 /);
  });

  it('runs the jest globalSetup/globalTeardown example, with a test that downloads a sealed batch', async () => {
    write(cjs, 'jest.config.mjs', docBlock('jest-config'));
    write(cjs, 'test/seal-simulator.setup.mjs', docBlock('jest-global-setup'));
    write(cjs, 'test/seal-simulator.teardown.mjs', timedClose(docBlock('jest-global-teardown')));
    write(
      cjs,
      'test/seal.test.js',
      `const { readFile } = require('node:fs/promises');

test('seals a batch against SEAL_BASE_URL', async () => {
  const api = (path, init = {}) =>
    fetch(process.env.SEAL_BASE_URL + path, { ...init, headers: { 'API-KEY': process.env.SEAL_API_KEY, ...init.headers } });
  const { id } = await (await api('/api/CreateBatch/1', { method: 'POST' })).json();
  const body = await readFile('documents.zip');
  expect((await api('/api/upload/' + id, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } })).status).toBe(202);
  expect((await api('/api/AcceptBatch/' + id, { method: 'POST' })).status).toBe(200);
  let status;
  for (const deadline = Date.now() + 45000; Date.now() < deadline && status !== 'CLOSED'; ) {
    status = (await (await api('/api/BatchStatus/' + id)).json()).status;
    if (status !== 'CLOSED') await new Promise((r) => setTimeout(r, 50));
  }
  expect(status).toBe('CLOSED');
  const sealed = await api('/api/batchfile/' + id);
  expect(Buffer.from(await sealed.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
}, 60000);
`,
    );
    const run = await runIn(cjs, 'npx', ['jest'], 180_000);
    expectClean(cjs, run, 1, /Tests:\s+1 passed/);
  });
});
