#!/usr/bin/env node
import { ConfigError, describeConfig, helpText, loadConfig } from './config.js';
import { startServer } from './server.js';
import { VERSION } from './version.js';

/** Longest a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  let command;
  try {
    command = loadConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`seal-simulator: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (command.kind === 'help') {
    process.stdout.write(helpText());
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const { config } = command;
  const server = await startServer(config);
  const settings = describeConfig(config);
  if (process.stdout.isTTY) {
    const list = Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ');
    process.stdout.write(`seal-simulator ${VERSION} listening on ${server.url}  (${list})\n`);
  } else {
    server.app.log.info({ url: server.url, version: VERSION, settings }, `listening on ${server.url}`);
  }

  const shutdown = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      server.app.log.error({ signal }, `shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    server.close().then(
      () => process.exit(0),
      (err) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`seal-simulator: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
