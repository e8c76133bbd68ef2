import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp, type BuildOptions } from './app.js';
import { LazyRealSigner } from './signing/test-pki.js';
import { EarlySealingProcess } from './signing/sealing-process.js';

export interface CloseOptions {
  /**
   * How long requests in flight may take to finish before their connections are cut (default
   * {@link DEFAULT_DRAIN_MS}). Idle keep-alive connections are closed at once whatever this is.
   */
  drainMs?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 (the real port when 0 was asked for): where a client on this machine reaches it. */
  url: string;
  /** The port listened on (the real port when 0 was asked for). */
  port: number;
  /** The address actually bound, e.g. `0.0.0.0`, `127.0.0.1` or `::`. */
  boundAddress: string;
  /**
   * Stops accepting connections, closes idle keep-alive connections at once and busy ones as soon
   * as their response is complete, cuts whatever is still in flight after `drainMs`, then stops the
   * worker and closes the database (see buildApp). Later calls return the first call's promise.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * What a library user's `close()` allows requests in flight: short, because a test suite's
 * `afterAll` waits for it (a download or upload still running then is a test that is finishing).
 */
export const DEFAULT_DRAIN_MS = 250;
/** How often connections that went idle during the drain are looked for and closed. */
const SWEEP_MS = 10;

/** Long enough for a health check waiting on start-up to be answered before the signer's modules load. */
const SIGNER_WARMUP_DELAY_MS = 50;

/** Builds the app and listens. The caller decides what to print and when to close. */
export async function startServer(config: Config, given: BuildOptions = {}): Promise<RunningServer> {
  // The first sealing process loads its modules while the app is built and the PKI loaded, so
  // the first batch finds it ready (the command line starts it earlier still and passes it in).
  const earlySealing = given.earlySealing ?? (config.signer === 'real' && !given.signer ? new EarlySealingProcess(config.fileMemoryLimitMib) : undefined);
  const options: BuildOptions = { ...given, preparePki: true, ...(earlySealing ? { earlySealing } : {}) };
  let app: FastifyInstance;
  try {
    app = await buildApp(config, options);
  } catch (err) {
    earlySealing?.discard();
    throw err;
  }
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    // e.g. EADDRINUSE: release the database and the temporary data directory before failing.
    await app.close().catch(() => {});
    earlySealing?.discard();
    throw err;
  }
  const address = app.server.address() as AddressInfo;
  const port = address.port;
  const url = `http://${reachableHost(address.address)}:${port}`;
  // The certificates name the address bound unless SEAL_SIM_PUBLIC_URL says where validators reach us.
  app.sim.pki.setBoundUrl(url);
  // The test PKI loads now, in its own thread (listening never waits for it), and the real signer
  // starts its sealing processes once the first requests (a health check waiting for start-up)
  // have been answered: the first batch or time stamp normally finds both ready.
  app.sim.pki.warmUp(app.log);
  const signer = app.sim.signer;
  const warmup = setTimeout(() => {
    if (signer instanceof LazyRealSigner) signer.warmUp(app.log);
  }, SIGNER_WARMUP_DELAY_MS);
  warmup.unref();
  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    port,
    boundAddress: address.address,
    close: (opts = {}) => {
      clearTimeout(warmup);
      return (closing ??= closeApp(app, opts.drainMs ?? DEFAULT_DRAIN_MS).finally(() => earlySealing?.discard()));
    },
  };
}

/** A host a client on this machine can use for `bound`: a wildcard address is reached over loopback. */
function reachableHost(bound: string): string {
  if (bound === '0.0.0.0') return '127.0.0.1';
  if (bound === '::') return '127.0.0.1'; // a dual-stack wildcard also answers on IPv4 loopback
  return bound.includes(':') ? `[${bound}]` : bound;
}

/**
 * The one way the simulator stops, for the library and the CLI alike. Node's `server.close()`
 * closes only the connections idle at that moment; one whose response is still being written
 * (a download whose last bytes the client already has, a `dribble` fault, a slow upload) would
 * then be kept open for Fastify's 72 s keep-alive once it goes idle, and `app.close()` waits for
 * every connection. So: sweep idle connections until closed, and cut the rest after `drainMs`.
 */
async function closeApp(app: FastifyInstance, drainMs: number): Promise<void> {
  const server = app.server;
  const closed = app.close();
  if (!server.listening) return closed;
  const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
  const cut = setTimeout(() => {
    clearInterval(sweep);
    server.getConnections((_err, count) => {
      if (count > 0) app.log.info({ connections: count, drainMs }, 'requests still in flight after the drain; closing their connections');
      server.closeAllConnections();
    });
  }, drainMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
