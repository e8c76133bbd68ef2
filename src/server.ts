import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp, type BuildOptions } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 (the real port when 0 was asked for). */
  url: string;
  /** The port listened on (the real one when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

const PKI_WARMUP_DELAY_MS = 300;

/** Builds the app and listens. The caller decides what to print and when to close. */
export async function startServer(config: Config, options: BuildOptions = {}): Promise<RunningServer> {
  const app = await buildApp(config, options);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    // e.g. EADDRINUSE: release the database and the temporary data directory before failing.
    await app.close().catch(() => {});
    throw err;
  }
  // Generate or load the test PKI in the background, once the first requests (a health check
  // waiting for start-up) have been answered: listening never waits for module loading or key
  // generation, and the first batch or time stamp normally finds the PKI ready.
  setTimeout(() => app.sim.pki.get().catch((err) => app.log.error({ err }, 'could not load or create the test PKI')), PKI_WARMUP_DELAY_MS).unref();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  let closing: Promise<void> | undefined;
  return { app, url, port, close: () => (closing ??= app.close()) };
}

