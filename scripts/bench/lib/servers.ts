/**
 * The servers under test (the simulator, a baseline build of it, and the peers it is compared
 * with) and how to start each one on a given port.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { transform } from 'esbuild';
import { peerPath } from './peers.js';
import { httpRequest, linkNodeModules, makeTempDir, spawnTracked, type Spawned } from './proc.js';
import { tinyZip } from './zip.js';

export const API_HEADERS = { 'API-KEY': 'bench' };

export type PeerName = 'bare-fastify' | 'wiremock' | 'prism';
export const ALL_PEERS: readonly PeerName[] = ['bare-fastify', 'wiremock', 'prism'];
/** `simulator` is the build under test; `baseline` the same simulator built from `--baseline <ref>`. */
export type ServerName = 'simulator' | 'baseline' | PeerName;

export interface ServerDef {
  name: ServerName;
  label: string;
  start(port: number, cpu?: string): Spawned;
  /** URL polled for the start-up measurement, and what counts as ready. */
  readyPath: string;
  readyOk(status: number): boolean;
  /** Makes the state the status benchmark reads; returns the path to load. */
  prepareStatus(base: string): Promise<string>;
  /**
   * The simulator only: accepts the batch prepareStatus made and polls its status (every 10 ms)
   * until CLOSED — what a test suite's first sealed batch waits for after start-up.
   */
  firstClosed?(base: string, statusPath: string): Promise<void>;
}

export interface SimConfig {
  /** argv to start the simulator (port etc. come through the environment). */
  cmd: string[];
  label: string;
  dataRoot: string;
  /** False for the harness's stand-in, which answers the status routes but never seals. */
  seals: boolean;
}

export const GiB = 1024 ** 3;

export function simEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    SEAL_SIM_TIMING: 'instant',
    SEAL_SIM_MAX_UPLOAD_BYTES: String(2 * GiB),
    SEAL_SIM_MAX_TOTAL_BYTES: String(8 * GiB),
    SEAL_SIM_MAX_ENTRY_BYTES: String(2 * GiB),
    // The benchmarks drive everything with one API key: its per-tenant limits must not be the
    // thing measured (10 000+ stored batches, multi-GiB uploads, concurrent uploads).
    SEAL_SIM_MAX_BATCHES_PER_TENANT: String(1_000_000),
    SEAL_SIM_MAX_STORED_BYTES_PER_TENANT: String(1024 * GiB),
    SEAL_SIM_MAX_UPLOADS_PER_KEY: '1000',
    SEAL_SIM_LOG_LEVEL: 'warn',
    SEAL_SIM_DATA_DIR: dataDir,
    NODE_ENV: 'production',
  };
}

/** Starts the simulator on `port` with a data directory of its own under `sim.dataRoot`. */
export function startSim(sim: SimConfig, port: number, cpu?: string): Spawned {
  const dataDir = mkdtempSync(path.join(sim.dataRoot, 'data-'));
  const [cmd, ...args] = sim.cmd;
  return spawnTracked(cmd!, args, { cpu, env: simEnv(port, dataDir), cwd: process.cwd() });
}

export async function createBatch(base: string, processId = 2, agent?: http.Agent): Promise<string> {
  const c = await httpRequest(`${base}/api/CreateBatch/${processId}`, {
    method: 'POST',
    headers: { ...API_HEADERS, 'content-type': 'application/json' },
    body: '{}',
    agent,
  });
  if (c.status !== 201) throw new Error(`CreateBatch answered ${c.status}: ${c.body.slice(0, 500)}`);
  return String((JSON.parse(c.body) as { id: string | number }).id);
}

/** CreateBatch(processId) + upload of `zip` (default: a one-PDF ZIP); returns the batch id. */
export async function createBatchWithDoc(base: string, processId = 2, agent?: http.Agent, zip?: Buffer): Promise<string> {
  const id = await createBatch(base, processId, agent);
  const u = await httpRequest(`${base}/api/upload/${id}`, {
    method: 'POST',
    headers: { ...API_HEADERS, 'content-type': 'application/octet-stream' },
    body: zip ?? (await tinyZip()),
    agent,
  });
  if (u.status !== 202) throw new Error(`upload answered ${u.status}: ${u.body.slice(0, 500)}`);
  return id;
}

export function simulatorDef(sim: SimConfig, name: 'simulator' | 'baseline' = 'simulator'): ServerDef {
  return {
    name,
    label: sim.label,
    start: (port, cpu) => startSim(sim, port, cpu),
    // The simulator has no batch at start, so the status route answers 404 (a routed, authenticated
    // problem answer); /_simulator/health is the route meant for "is it up" (no API key needed).
    readyPath: '/_simulator/health',
    readyOk: (s) => s === 200,
    async prepareStatus(base) {
      const id = await createBatchWithDoc(base);
      return `/api/BatchStatus/${id}`;
    },
    firstClosed: sim.seals ? firstClosed : undefined,
  };
}

/** AcceptBatch for the batch behind `statusPath`, then BatchStatus every 10 ms until CLOSED. */
async function firstClosed(base: string, statusPath: string): Promise<void> {
  const id = statusPath.split('/').pop()!;
  const a = await httpRequest(`${base}/api/AcceptBatch/${id}`, { method: 'POST', headers: API_HEADERS });
  if (a.status >= 300) throw new Error(`AcceptBatch answered ${a.status}: ${a.body.slice(0, 300)}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await httpRequest(base + statusPath, { headers: API_HEADERS });
    if (s.status === 200 && (JSON.parse(s.body) as { status: string }).status === 'CLOSED') return;
    if (Date.now() > deadline) throw new Error(`batch ${id} not CLOSED within 60 s: ${s.body.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function bareFastifyDef(repoRoot: string): Promise<ServerDef> {
  // Run it as plain JS (esbuild transform), like the simulator's dist/, so tsx's loader is not in
  // its start-up time. The temp dir links node_modules so 'fastify' resolves.
  const dir = makeTempDir('bench-bare-');
  linkNodeModules(dir, repoRoot);
  const src = readFileSync(path.join(repoRoot, 'scripts/bench/bare-fastify.ts'), 'utf8');
  const out = await transform(src, { loader: 'ts', format: 'esm', target: 'node20' });
  const file = path.join(dir, 'bare-fastify.mjs');
  writeFileSync(file, out.code);
  return {
    name: 'bare-fastify',
    label: 'bare Fastify 5 route',
    start: (port, cpu) => spawnTracked(process.execPath, [file], { cpu, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' } }),
    readyPath: '/api/BatchStatus/2123',
    readyOk: (s) => s === 200,
    prepareStatus: async () => '/api/BatchStatus/2123',
  };
}

export function wiremockDef(repoRoot: string): ServerDef {
  const jarDir = peerPath(repoRoot, 'wiremock', 'build');
  const jar = path.join(jarDir, 'wiremock-standalone-3.13.2.jar');
  if (!existsSync(jar)) throw new Error(`WireMock jar not found at ${jar}`);
  return {
    name: 'wiremock',
    label: 'WireMock 3.13.2 standalone',
    start(port, cpu) {
      const root = makeTempDir('bench-wiremock-');
      cpSync(path.join(repoRoot, 'scripts/bench/peers/wiremock'), root, { recursive: true });
      return spawnTracked(
        'java',
        [
          '-jar',
          jar,
          '--port',
          String(port),
          '--bind-address',
          '127.0.0.1',
          '--root-dir',
          root,
          '--no-request-journal',
          '--disable-request-logging',
          '--disable-banner',
        ],
        { cpu },
      );
    },
    readyPath: '/api/BatchStatus/2123',
    readyOk: (s) => s === 200,
    prepareStatus: async () => '/api/BatchStatus/2123',
  };
}

export function prismDef(repoRoot: string): ServerDef {
  const cli = peerPath(repoRoot, '@stoplight/prism-cli', 'dist', 'index.js');
  const spec = path.join(repoRoot, 'scripts/bench/peers/prism-status.yaml');
  return {
    name: 'prism',
    label: 'Prism 5.16.0 mock',
    start: (port, cpu) => spawnTracked(process.execPath, [cli, 'mock', '-h', '127.0.0.1', '-p', String(port), '-v', 'error', spec], { cpu }),
    readyPath: '/api/BatchStatus/2123',
    readyOk: (s) => s === 200,
    prepareStatus: async () => '/api/BatchStatus/2123',
  };
}
