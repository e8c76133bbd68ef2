#!/usr/bin/env node
import { hostname } from 'node:os';
import { ConfigError, describeConfig, helpText, loadConfig } from './config.js';
import type { RunningServer } from './server.js';
import { EarlySealingProcess } from './signing/sealing-process.js';
import { VERSION } from './version.js';

/** Subcommands (src/calibrate/commands.ts); the name list is here so `--help` needs no import. */
const CALIBRATE_COMMANDS = ['conformance', 'record', 'replay'] as const;

/**
 * How long requests in flight get to finish after SIGTERM/SIGINT before their connections are cut
 * (idle keep-alive connections are closed at once). Longer than a library user's close(): a
 * client of a long-running server may be mid-upload when a container is stopped.
 */
const DRAIN_MS = 5_000;
/**
 * Longest a graceful shutdown may take before the process exits anyway (exit 1). Below the 10 s a
 * container engine waits between SIGTERM and SIGKILL.
 */
const SHUTDOWN_DEADLINE_MS = 8_000;

async function main(): Promise<void> {
  const [first, ...rest] = process.argv.slice(2);
  if (first && (CALIBRATE_COMMANDS as readonly string[]).includes(first)) {
    // Calibration commands are clients and proxies, not the simulator: loaded only when asked for.
    const { runCalibrateCommand } = await import('./calibrate/commands.js');
    process.exitCode = await runCalibrateCommand(first, rest, process.env);
    return;
  }
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
  // Signals are taken from before the server starts: one that arrives while it starts stops it
  // as soon as it is up, the same graceful way.
  const stopper = new Stopper();
  // The first sealing process starts before the server's own modules load (a third of start-up):
  // it loads the format modules meanwhile, and the first batch does not wait for it.
  const earlySealing = config.signer === 'real' ? new EarlySealingProcess(config.fileMemoryLimitMib) : undefined;
  const { startServer } = await import('./server.js');
  // A file a setting names (processes, keys, profile, faults) is read as the app is built: refused
  // the same way as a bad flag.
  const server = await startServer(config, earlySealing ? { earlySealing } : {}).catch((e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(`seal-simulator: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  });
  if (stopper.attach(server)) return;
  const settings = describeConfig(config);
  // The start line is written whatever the log level: it is how a person, a script or a test
  // learns the URL (the real port when --port 0 was asked for).
  const where = listeningOn(server);
  if (process.stdout.isTTY) {
    const list = Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    process.stdout.write(`seal-simulator ${VERSION} listening on ${where}  (${list})\n  stop with Ctrl-C\n`);
  } else {
    const line = {
      level: 30,
      time: Date.now(),
      pid: process.pid,
      hostname: hostname(),
      msg: `listening on ${where}`,
      address: server.boundAddress,
      url: server.url,
      port: server.port,
      version: VERSION,
      settings,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

/**
 * Where the start line says the simulator listens: the address actually bound, and, when that is
 * a wildcard (0.0.0.0 in a container), also the URL a client on this machine uses.
 */
function listeningOn(server: RunningServer): string {
  const host = server.boundAddress.includes(':') ? `[${server.boundAddress}]` : server.boundAddress;
  const bound = `http://${host}:${server.port}`;
  return bound === server.url ? bound : `${bound} (every interface; from this machine ${server.url})`;
}

/**
 * SIGTERM/SIGINT: stop accepting connections, let requests in flight finish (for DRAIN_MS), let the
 * worker stop at its next file boundary or give up on the file in hand (an interrupted batch is
 * redone on the next start), close SQLite, remove a temporary data directory, exit 0. A second signal, or the deadline, exits at once with 1; SQLite's committed
 * transactions are durable either way.
 */
class Stopper {
  private server: RunningServer | undefined;
  private signal: NodeJS.Signals | undefined;

  constructor() {
    const onSignal = (signal: NodeJS.Signals) => this.onSignal(signal);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  /** The server is up. True when a signal came first and the server is now being stopped. */
  attach(server: RunningServer): boolean {
    this.server = server;
    if (this.signal === undefined) return false;
    this.stop(this.signal);
    return true;
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.signal !== undefined) {
      this.log('warn', { signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    this.signal = signal;
    const deadline = setTimeout(() => {
      this.log('error', { signal }, `shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    if (this.server) this.stop(signal);
  }

  private stop(signal: NodeJS.Signals): void {
    const server = this.server!;
    const started = Date.now();
    server.app.log.info({ signal }, 'shutting down');
    server.close({ drainMs: DRAIN_MS }).then(
      () => {
        server.app.log.info({ signal, ms: Date.now() - started }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  }

  private log(level: 'warn' | 'error', fields: Record<string, unknown>, msg: string): void {
    if (this.server) this.server.app.log[level](fields, msg);
    else process.stderr.write(`seal-simulator: ${msg}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`seal-simulator: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
