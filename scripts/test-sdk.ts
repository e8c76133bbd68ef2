/**
 * `npm run test:sdk`: a TypeScript client generated from openapi/openapi.json, used as an
 * integrator would use it, and one flow through Prism's validating proxy.
 *
 * 1. Installs the tools only this test needs (@hey-api/openapi-ts, typescript; Prism unless the
 *    benchmark's peers are installed) into a cache directory under the system temp dir,
 *    once per set of versions: the default `npm ci` never pays for them.
 * 2. Generates the client (@hey-api/client-fetch) into a fresh work directory, next to a copy of
 *    test/sdk/flow.ts, type-checks both with `tsc --strict`, and bundles the flow with esbuild.
 * 3. Starts the built simulator (dist/, so run `npm run build` first; the npm script does) and runs
 *    the flow against it: create, upload, accept, poll, download, delete; 401, 404, 409, 400
 *    (folder ZIP) and 413; a reset of one tenant. Every body is checked against the generated types.
 * 4. Starts `prism proxy openapi/openapi.json <simulator> --errors` and sends the JSON routes' flow
 *    through it: any request or response Prism finds off the document fails the run.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, type SimProcess } from '../test/e2e/process.js';
import { zipOf } from '../test/helpers/zip.js';

const ROOT = join(import.meta.dirname, '..');
const TOOLS = { '@hey-api/openapi-ts': '0.99.0', typescript: '5.9.3' } as const;
const PRISM = { '@stoplight/prism-cli': '5.16.0' } as const;
const UPLOAD_LIMIT = 64 * 1024;

const say = (line: string) => process.stdout.write(`${line}\n`);

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Installs `packages` into a cache directory named after them (reused while it is complete). */
function toolsDir(packages: Record<string, string>, bin: string): string {
  const name = Object.entries(packages)
    .map(([p, v]) => `${p.replace(/[@/]/g, '_')}-${v}`)
    .join('+');
  const dir = join(tmpdir(), 'seal-simulator-sdk-tools', name);
  if (!existsSync(join(dir, 'node_modules', '.bin', bin))) {
    say(
      `installing ${Object.entries(packages)
        .map(([p, v]) => `${p}@${v}`)
        .join(' ')} into ${dir}`,
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    sh('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', ...Object.entries(packages).map(([p, v]) => `${p}@${v}`)], { cwd: dir });
  }
  return join(dir, 'node_modules', '.bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`exited before listening:\n${log()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`not listening at ${url} after 30 s:\n${log()}`);
}

/** The generated client's flow (step 2 and 3). */
async function sdkFlow(sim: SimProcess, work: string): Promise<void> {
  const bin = toolsDir(TOOLS, 'openapi-ts');
  writeFileSync(join(work, 'package.json'), '{"private":true,"type":"module"}\n');
  copyFileSync(join(ROOT, 'test', 'sdk', 'flow.ts'), join(work, 'flow.ts'));
  say('generating the client with @hey-api/openapi-ts');
  sh(join(bin, 'openapi-ts'), ['-i', join(ROOT, 'openapi', 'openapi.json'), '-o', join(work, 'client'), '-c', '@hey-api/client-fetch'], { cwd: work });
  writeFileSync(
    join(work, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          skipLibCheck: true,
        },
        include: ['flow.ts', 'client/**/*.ts'],
      },
      null,
      2,
    )}\n`,
  );
  say('type-checking the client and the flow with tsc --strict');
  sh(join(bin, 'tsc'), ['-p', join(work, 'tsconfig.json')], { cwd: work });
  sh(join(ROOT, 'node_modules', '.bin', 'esbuild'), [
    join(work, 'flow.ts'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--log-level=warning',
    `--outfile=${join(work, 'flow.mjs')}`,
  ]);

  const files = {
    ZIP_OK: join(work, 'ok.zip'),
    ZIP_FOLDER: join(ROOT, 'fixtures', 'zips', 'nested-path.zip'),
    BODY_TOO_LARGE: join(work, 'too-large.bin'),
  };
  writeFileSync(
    files.ZIP_OK,
    await zipOf({ 'invoice.pdf': readFileSync(join(ROOT, 'fixtures', 'documents', 'invoice.pdf')), 'notes.txt': 'not sealed by a PDF process' }),
  );
  writeFileSync(files.BODY_TOO_LARGE, randomBytes(UPLOAD_LIMIT * 2));
  say('running the integrator flow through the generated client');
  const r = spawnSync(process.execPath, [join(work, 'flow.mjs')], {
    env: { ...process.env, SIM_URL: sim.url, ...files },
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`the SDK flow failed (exit ${r.status})`);
}

/** The JSON routes' flow through Prism's validating proxy (step 4). */
async function prismFlow(sim: SimProcess): Promise<void> {
  // The benchmark's copy (scripts/bench, installed by its own script) if it is there, else ours.
  const bench = join(ROOT, 'scripts', 'bench', 'node_modules', '.bin', 'prism');
  const prism = existsSync(bench) ? bench : join(toolsDir(PRISM, 'prism'), 'prism');
  const port = await freePort();
  let log = '';
  const child = spawn(prism, ['proxy', join(ROOT, 'openapi', 'openapi.json'), sim.url, '--errors', '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/_simulator/health`, child, () => log);
    const violations: string[] = [];
    let sent = 0;
    const call = async (method: string, path: string, init: { key?: string; json?: unknown } = {}, expect: number[] = []) => {
      const headers: Record<string, string> = {};
      if (init.key) headers['API-KEY'] = init.key;
      let body: BodyInit | undefined;
      if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.json);
      }
      const res = await fetch(`${base}${path}`, { method, headers, body });
      const text = await res.text();
      sent += 1;
      const flagged = res.headers.get('sl-violations');
      if (flagged || /stoplight\.io\/prism\/errors/.test(text) || (expect.length > 0 && !expect.includes(res.status))) {
        violations.push(`${method} ${path} → ${res.status}${flagged ? ` sl-violations: ${flagged}` : ''} ${text.slice(0, 400)}`);
      }
      return { status: res.status, json: () => JSON.parse(text) as Record<string, unknown> };
    };
    const key = 'prism-key';
    await call('GET', '/_simulator/processes', {}, [200]);
    await call('POST', '/_simulator/reset', { key }, [200]);
    const id = Number((await call('POST', '/api/CreateBatch/1', { key }, [201])).json().id);
    await call('GET', `/api/BatchStatus/${id}`, { key }, [200]);
    await call('POST', `/api/AcceptBatch/${id}`, { key }, [409]);
    // The upload goes straight to the simulator: Prism's proxy re-encodes a binary body as text
    // (every byte over 0x7f becomes U+FFFD), so a ZIP cannot pass through it. JSON routes only.
    const zip = await zipOf({ 'a.pdf': readFileSync(join(ROOT, 'fixtures', 'documents', 'invoice.pdf')) });
    const up = await fetch(`${sim.url}/api/upload/${id}`, {
      method: 'POST',
      headers: { 'API-KEY': key, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(zip),
    });
    if (up.status !== 202) throw new Error(`upload (direct) answered ${up.status}: ${await up.text()}`);
    await call('POST', '/api/AcceptBatch', { key, json: { batchId: id } }, [200]);
    await call('GET', '/_simulator/batches', { key }, [200]);
    await call('GET', `/_simulator/batches/${id}`, { key }, [200]);
    await call('GET', '/_simulator/clock', { key }, [200]);
    await call('PUT', '/_simulator/clock', { key, json: { speed: 60 } }, [200]);
    await call('POST', '/_simulator/clock/advance', { key, json: { by: '5m' } }, [200]);
    await call('POST', '/_simulator/faults', { key, json: { route: 'BatchStatus', kind: 'latency', ms: 1 } }, [201]);
    await call('GET', '/_simulator/faults', { key }, [200]);
    await call('DELETE', '/_simulator/faults', { key }, [200]);
    for (let i = 0; i < 100; i++) {
      const s = await call('GET', `/api/BatchStatus/${id}`, { key }, [200]);
      if (s.json().status === 'CLOSED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await call('GET', '/_simulator/journal?limit=5', { key }, [200]);
    await call(
      'POST',
      '/_simulator/journal/verify',
      {
        key,
        json: {
          expected: [
            { route: 'CreateBatch', status: 201 },
            { route: 'AcceptBatch', status: 200 },
          ],
        },
      },
      [200],
    );
    await call('DELETE', `/api/BatchDeleteCache/${id}`, { key }, [200]);
    await call('GET', `/api/BatchStatus/${id}`, { key }, [200]);
    await call('GET', '/api/BatchStatus/987654321', { key }, [404]);
    await call('POST', '/tsa/stamp/1', { key, json: { hash: randomBytes(32).toString('base64') } }, [200]);
    await call('POST', '/_simulator/reset', { key }, [200]);
    if (violations.length > 0)
      throw new Error(`Prism found ${violations.length} violation(s) in ${sent} calls:\n${violations.join('\n')}\n--- prism log\n${log.slice(-4000)}`);
    say(`prism proxy --errors: ${sent} calls, 0 violations`);
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'seal-sdk-'));
  let sim: SimProcess | undefined;
  try {
    sim = await startCli(['--port', '0', '--timing', 'instant', '--max-upload-bytes', String(UPLOAD_LIMIT), '--data-dir', join(work, 'data')]);
    await sdkFlow(sim, work);
    await prismFlow(sim);
    say('test:sdk: 2 passed, 0 failed');
  } finally {
    await sim?.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`test:sdk: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
