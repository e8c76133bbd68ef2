import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type ZipLimits, zipLimitSettings } from './archive/limits.js';
import type { BuildOptions } from './app.js';
import { type Config, ConfigError, loadConfig, SETTINGS } from './config.js';
import type { Clock } from './domain/clock.js';
import { API_KEY_HEADER, tenantOf } from './http/auth.js';
import { startServer } from './server.js';

/**
 * The package's public entry: start a simulator from code, e.g. in a test suite's global setup.
 *
 *   const sim = await startSimulator();            // a free port, instant timing, quiet logs
 *   await fetch(`${sim.url}/api/CreateBatch/1`, { method: 'POST', headers: { 'API-KEY': sim.apiKey } });
 *   await sim.reset();                              // forget every batch between tests
 *   await sim.close();
 */

/**
 * Options mirror the settings of the CLI and the environment (see `seal-simulator --help`), with
 * defaults suited to a test fixture: a free port, `timing: 'instant'`, `logLevel: 'warn'`, an
 * in-memory database and a temporary data directory. Environment variables are NOT read here:
 * a fixture started from code behaves the same on every machine.
 */
export interface StartOptions extends Omit<Config, 'limits' | 'profile'> {
  /** Any subset of the upload limits; the rest keep their defaults. */
  limits: Partial<ZipLimits>;
  /**
   * The key `apiKey` hands out. Default: the first of `apiKeys`, or a generated one (any key is
   * accepted when `apiKeys` is empty).
   */
  apiKey: string;
  /** Time source for lifecycle progress and dates (advanced use: a test-controlled clock). */
  clock: Clock;
}

export interface RunningSimulator {
  /** e.g. http://127.0.0.1:41234 — the real port, also when port 0 was asked for. */
  readonly url: string;
  readonly port: number;
  /** An API key the simulator accepts: send it in the `API-KEY` header. */
  readonly apiKey: string;
  /** `{ 'API-KEY': apiKey }`, ready to spread into a request's headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The settings in force (validated and frozen). */
  readonly config: Config;
  /** The Fastify instance, for `app.inject` or the simulator's parts (`app.sim`). */
  readonly app: FastifyInstance;
  /**
   * `fetch` against the simulator: a path is resolved against `url`, and the API-KEY header is
   * added unless the request sets its own.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Forgets state — batches with their packages and results, the virtual clock, injected faults,
   * journal entries — of every tenant, or only of `apiKey`'s. Resolves to the number of batches
   * forgotten. (The same as POST /_simulator/reset.)
   */
  reset(apiKey?: string): Promise<number>;
  /** The test CA certificate (PEM) that issued the seal and TSA certificates: trust it to verify seals. */
  caPem(): Promise<string>;
  /**
   * Stops accepting requests and returns within about a second whatever clients do: idle
   * keep-alive connections (Node's `fetch` keeps them) are closed at once, requests in flight get
   * 250 ms to finish before their connections are cut (a download, a `dribble` fault, a slow
   * upload), the worker stops at a safe point or abandons the file in hand, the database is
   * closed and the temporary data directory (test PKI keys included) removed. Later calls return
   * the first call's promise.
   */
  close(): Promise<void>;
}

const FIXTURE_DEFAULTS: Partial<StartOptions> = { port: 0, timing: 'instant', logLevel: 'warn' };

/** Starts a simulator listening on HTTP. Throws ConfigError for an option it cannot accept. */
export async function startSimulator(options: Partial<StartOptions> = {}): Promise<RunningSimulator> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const { apiKey: givenKey, clock, ...settings } = { ...FIXTURE_DEFAULTS, ...defined } as Partial<StartOptions>;
  // The options go through the same parser as flags, so they are validated (and their relative
  // paths resolved) exactly as `seal-simulator --flag` would be.
  let config: Config;
  try {
    config = loadConfig(toFlags(settings), {}).config;
  } catch (e) {
    // Name the option as the caller wrote it, not as the flag it was turned into.
    if (!(e instanceof ConfigError)) throw e;
    let message = e.message;
    for (const s of SETTINGS) message = message.replace(`--${s.flag}=`, `${s.key}: `);
    throw new ConfigError(`startSimulator: ${message}`);
  }
  const apiKey = givenKey ?? config.apiKeys[0] ?? `sim-${randomUUID()}`;
  if (config.auth && config.apiKeys.length > 0 && !config.apiKeys.includes(apiKey)) {
    throw new TypeError('startSimulator: apiKey must be one of apiKeys');
  }
  const buildOptions: BuildOptions = clock ? { clock } : {};
  const server = await startServer(config, buildOptions);
  const headers = Object.freeze({ [API_KEY_HEADER.toUpperCase()]: apiKey });

  const sim: RunningSimulator = {
    url: server.url,
    port: server.port,
    apiKey,
    headers,
    config,
    app: server.app,
    fetch(path, init = {}) {
      const h = new Headers(init.headers);
      if (!h.has(API_KEY_HEADER)) h.set(API_KEY_HEADER, apiKey);
      return fetch(new URL(path, server.url), { ...init, headers: h });
    },
    reset(key) {
      return server.app.sim.reset(key === undefined ? undefined : tenantOf(key));
    },
    async caPem() {
      return (await server.app.sim.pki.get()).pki.material.caPem; // what /_simulator/pki/ca.pem serves
    },
    close: () => server.close(),
  };
  return sim;
}

/** Turns option values into `--flag=value` arguments for loadConfig. */
function toFlags(options: Partial<Omit<StartOptions, 'apiKey' | 'clock'>>): string[] {
  const limits = (options.limits ?? {}) as Record<string, unknown>;
  const values = options as Record<string, unknown>;
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  const limitKeys = new Set<string>(Object.keys(zipLimitSettings));
  for (const key of Object.keys(values)) {
    if (key !== 'limits' && !known.has(key)) throw new TypeError(`startSimulator: unknown option ${JSON.stringify(key)}`);
  }
  for (const key of Object.keys(limits)) {
    // Only limits belong under `limits` ({ limits: { port: 1 } } must not set the port).
    if (!limitKeys.has(key)) throw new TypeError(`startSimulator: unknown limit ${JSON.stringify(key)}; limits are ${[...limitKeys].join(', ')}`);
  }
  const flags: string[] = [];
  for (const s of SETTINGS) {
    const value = s.key in limits ? limits[s.key] : values[s.key];
    if (value === undefined) continue;
    flags.push(`--${s.flag}=${formatValue(value)}`);
  }
  return flags;
}

function formatValue(value: unknown): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

export { buildApp, type BuildOptions, type Simulator } from './app.js';
export { type Config, ConfigError, defaultConfig, helpText, loadConfig, SETTINGS } from './config.js';
export { type Clock, ManualClock, systemClock } from './domain/clock.js';
export type { StatusTableName } from './domain/status.js';
export type { TimingProfileName } from './domain/timing.js';
export type { ZipLimits } from './archive/limits.js';
export { API_KEY_HEADER, tenantOf } from './http/auth.js';
export { type CloseOptions, DEFAULT_DRAIN_MS, type RunningServer, startServer } from './server.js';
export { VERSION } from './version.js';
