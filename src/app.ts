import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { BatchControl } from './domain/batch-control.js';
import { createBatchDomain } from './domain/batch-domain.js';
import type { BatchService } from './domain/batch-service.js';
import type { BatchStore } from './domain/batch-store.js';
import { type Clock, systemClock } from './domain/clock.js';
import { TenantClocks } from './domain/tenant-clocks.js';
import type { ProcessCatalog } from './domain/processes.js';
import { loadProcesses } from './processes-file.js';
import { statusTable } from './domain/status.js';
import { timingProfile } from './domain/timing.js';
import { batchRoutes } from './http/batch-routes.js';
import { lazyChildLogger } from './http/lazy-child-logger.js';
import { redactUrl } from './http/redact-url.js';
import { installRequestTimeouts } from './http/slow-clients.js';
import { allowEmptyJsonBody } from './http/lenient-json.js';
import { schemaCompilers } from './http/schema-compilers.js';
import { registerOpenApi } from './http/openapi.js';
import { frameworkErrors, installProblemHandlers } from './http/problem.js';
import { problemSchema } from './http/schemas.js';
import { simulatorRoutes } from './http/simulator-routes.js';
import { controlRoutes } from './http/control-routes.js';
import { installSteering } from './http/steering.js';
import { boardRoutes } from './http/board-routes.js';
import { steeringRoutes } from './http/steering-routes.js';
import { DomainFaults } from './faults/domain-faults.js';
import { FaultRegistry, loadFaultsFile } from './faults/fault-registry.js';
import { Journal } from './journal/journal.js';
import { PlaceholderSigner } from './signing/placeholder-signer.js';
import { LazyRealSigner, TestPki } from './signing/test-pki.js';
import { tsaRoutes } from './http/tsa-routes.js';
import { pkiRoutes } from './http/pki-routes.js';
import type { Signer } from './signing/signer.js';
import type { EarlySealingProcess } from './signing/sealing-process.js';
import { ZipIntake } from './archive/zip-intake.js';
import { FileBlobStore } from './storage/file-blob-store.js';
import { SqliteBatchStore } from './storage/sqlite-batch-store.js';
import { sweepDataDir } from './storage/sweep.js';
import { VERSION } from './version.js';
import { KeySettings, loadKeySettings } from './key-settings.js';
import { tenantOf } from './http/auth.js';
import { BatchWorker } from './worker/batch-worker.js';
import { FairSlots } from './worker/fair-slots.js';

/**
 * The simulator's parts, for a test or an integrator to inspect as `app.sim`. Nothing inside the
 * simulator reads it: each route plugin is given the parts it uses as its options.
 */
export interface Simulator {
  config: Config;
  clock: TenantClocks;
  store: BatchStore;
  blobs: FileBlobStore;
  processes: ProcessCatalog;
  /** The vendor's batch operations. */
  service: BatchService;
  /** The control API's batch operations (list, inspect, advance, forget). */
  control: BatchControl;
  worker: BatchWorker;
  signer: Signer;
  /** Per-key settings: the board's tenant labels, counterpartyId, the processes a key may use. */
  keys: KeySettings;
  /** The test PKI (loaded or generated on first use). */
  pki: TestPki;
  dataDir: string;
  faults: FaultRegistry;
  journal: Journal;
  /** Forgets one tenant's state (batches, clock, faults, journal), or everyone's; returns batches removed. */
  reset(tenant?: string): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    sim: Simulator;
  }
}

export interface BuildOptions {
  clock?: Clock;
  signer?: Signer;
  /** Logger options or instance for Fastify; defaults to JSON at config.logLevel. */
  logger?: boolean | Record<string, unknown>;
  /** Real-time interval of the progress ticker in ms; 0 disables it (tests drive time themselves). */
  tickMs?: number;
  /** Compile every route schema while starting (Fastify's default) instead of on first use. */
  eagerSchemas?: boolean;
  /** Compile every request validator now and write its code for later starts (the build: scripts/precompile-schemas.mjs). */
  writeSchemaCode?: boolean;
  /** A sealing process started before the app was built (see startServer), adopted by the real signer; startServer discards it if no pool takes it. */
  earlySealing?: EarlySealingProcess;
  /**
   * Start the test PKI's thread while the app is built (startServer, which has it load the PKI
   * once it listens); otherwise the PKI and its thread wait for their first use.
   */
  preparePki?: boolean;
}

/**
 * Wires the simulator together. The one place parts are chosen and connected; it never listens
 * (src/server.ts does), so tests use `app.inject` against exactly what production runs.
 */
export async function buildApp(given: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // A keys file's keys are accepted keys, as SEAL_SIM_API_KEYS's are (src/key-settings.ts).
  const keys = given.keysFile ? loadKeySettings(given.keysFile, tenantOf) : KeySettings.none();
  const config: Config = keys.keys().length > 0 ? { ...given, apiKeys: [...new Set([...given.apiKeys, ...keys.keys()])] } : given;
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    requestIdHeader: 'x-request-id',
    // One line per request is written by the onResponse hook below, with the fields we choose.
    logController: new LogController({ requestIdLogLabel: 'reqId', disableRequestLogging: true }),
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    // The upload route streams its own body with its own limit; this is for small JSON bodies.
    bodyLimit: 1024 * 1024,
    frameworkErrors,
    // Slow clients: headers must arrive within the request timeout (Node answers 408 and closes),
    // checked often enough for short settings; bodies are timed by installRequestTimeouts below,
    // and uploads by their own watchdog (they may take far longer, at a minimum rate).
    http: {
      requestTimeout: 0,
      headersTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.requestTimeoutMs / 4))),
    },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false, allowUnionTypes: true } },
    schemaController: { compilersFactory: schemaCompilers({ lazy: !options.eagerSchemas, writeCode: options.writeSchemaCode === true }) },
  });

  const temporary = config.dataDir === null ? new TemporaryDir() : null;
  try {
    return await wire(app, config, keys, options, temporary);
  } catch (err) {
    // A start that fails (a bad processes file, a database that cannot be opened, a plugin error)
    // leaves nothing behind.
    await app.close().catch(() => {});
    temporary?.remove();
    throw err;
  }
}

/**
 * How long close() waits for the worker to finish the file in hand before abandoning it (the
 * batch is redone on the next start): a seal takes milliseconds, but a first one may wait for
 * the test PKI's keys, and close() must not.
 */
const WORKER_STOP_MS = 250;
/** How long close() waits for the signer's threads to end (a busy machine can take longer). */
const SIGNER_STOP_MS = 250;

/** Waits for `work`, but no longer than `ms`; a rejection after that is ignored. */
async function within(ms: number, work: Promise<void> | undefined): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  work.catch(() => {});
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The temporary data directory used when no data directory is configured. It holds packages,
 * results and the test PKI's private keys, so it is removed on close, on a failed start, and —
 * when the process exits without closing (a deadline, a test runner that never calls close) —
 * from the process's `exit` event.
 */
class TemporaryDir {
  /** Every directory not yet removed; one `exit` listener for all of them, however many simulators run. */
  private static readonly live = new Set<string>();
  private static listening = false;
  readonly path = mkdtempSync(join(tmpdir(), 'seal-simulator-'));

  constructor() {
    TemporaryDir.live.add(this.path);
    if (!TemporaryDir.listening) {
      TemporaryDir.listening = true;
      process.once('exit', () => {
        for (const path of TemporaryDir.live) rmSync(path, { recursive: true, force: true });
      });
    }
  }

  remove(): void {
    TemporaryDir.live.delete(this.path);
    rmSync(this.path, { recursive: true, force: true });
  }
}

async function wire(app: FastifyInstance, config: Config, keys: KeySettings, options: BuildOptions, temporary: TemporaryDir | null): Promise<FastifyInstance> {
  const dataDir = config.dataDir ?? temporary!.path;
  // The configured keys' tenants get their labels (the board's `key …b7c1`) before any request,
  // so batches kept from an earlier run read as their key too.
  for (const key of config.apiKeys) tenantOf(key);
  const processes = loadProcesses(config.processesFile);
  const store = new SqliteBatchStore(config.db);
  const log = app.log as unknown as Logger;
  const clock = new TenantClocks(options.clock ?? systemClock, store, {
    onRepair: (tenant, why) => log.warn({ tenant, component: 'clocks' }, `tenant clock reset to real time at start: ${why}`),
  });
  const blobs = new FileBlobStore(dataDir);
  const faults = new FaultRegistry({ seed: config.faultSeed, maxPerTenant: config.maxFaultsPerTenant });
  for (const spec of config.faultsFile ? loadFaultsFile(config.faultsFile) : []) faults.add(spec);
  const domainFaults = new DomainFaults(faults);
  const journal = new Journal({ maxEntries: config.journalMaxEntries, maxBytes: config.journalMaxBytes });
  const pki = new TestPki({
    dataDir,
    caCertPemPath: config.pkiCaCert,
    caKeyPemPath: config.pkiCaKey,
    keyAlgorithm: config.pkiKeyAlgorithm,
    publicUrl: config.publicUrl,
    cacheDir: config.pkiCacheDir,
  });
  if (options.preparePki) pki.prepare();
  // With a database file, this process owns the data directory (see BatchCache) and every file a
  // batch needs is known. An in-memory database knows no earlier files, and its data directory may
  // be shared (to reuse one test PKI), so nothing is swept then.
  const swept = config.db === ':memory:' ? { files: 0, bytes: 0 } : sweepDataDir(blobs.root, store.referencedPaths());
  if (swept.files > 0) log.info({ files: swept.files, bytes: swept.bytes }, 'data directory swept: removed files no batch refers to (left by a crash)');
  // One pool of slots for every batch: each tenant may use `perTenant` of them, and one more is
  // kept so that another tenant's file never waits for a tenant whose files run to their budget.
  const perTenant = config.signerThreads || availableParallelism();
  const slots = new FairSlots(perTenant + 1, perTenant);
  const workDir = join(blobs.root, 'tmp', 'work');
  const signer: Signer =
    options.signer ??
    (config.signer === 'real'
      ? new LazyRealSigner(pki, {
          threads: slots.size,
          spare: 1,
          budget: { timeMs: config.fileTimeLimitMs, memoryMiB: config.fileMemoryLimitMib },
          workDir,
          validation: { maxSignaturesPerFile: config.maxSignaturesPerFile },
          ...(options.earlySealing ? { early: options.earlySealing } : {}),
        })
      : new PlaceholderSigner());
  const {
    service,
    control,
    progression,
    work: worker,
  } = createBatchDomain(
    {
      store,
      blobs,
      intake: new ZipIntake({
        blobs,
        limits: config.limits,
        pace: { deadlineMs: config.uploadTimeoutMs, minBytesPerSecond: config.uploadMinBytesPerSecond },
      }),
      processes,
      clock,
      timing: timingProfile(config.timing, config.profile.timing),
      log: log.child({ component: 'batches' }),
      showStatus: statusTable(config.statusTable).name,
      progressHooks: domainFaults,
      maxUploadsPerTenant: config.maxUploadsPerKey,
      quotas: { maxBatches: config.maxBatchesPerTenant, maxStoredBytes: config.maxStoredBytesPerTenant },
    },
    (ledger) =>
      new BatchWorker({
        ledger,
        blobs,
        signer,
        clock,
        limits: config.limits,
        log: log.child({ component: 'worker' }),
        slots,
        workDir,
        maxAttempts: config.fileAttempts,
        faults: domainFaults,
      }),
  );

  const reset = async (tenant?: string) => {
    const removed = await control.purge(tenant);
    clock.reset(tenant);
    faults.clear(tenant);
    journal.clear(tenant);
    return removed;
  };
  const sim: Simulator = { config, clock, store, blobs, processes, keys, service, control, worker, signer, pki, dataDir, faults, journal, reset };
  app.decorate('sim', sim);

  // One line per request, with the fields an integrator looks for. The level is fixed at start, so
  // below "info" the hook is not installed at all (a hook per request is measurable on the status
  // route, and this one would only call a no-op).
  if ((app.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') ?? true) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info({ method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
      done();
    });
  }

  app.setChildLoggerFactory(lazyChildLogger);
  app.decorateRequest('tenant', ''); // set by the auth hooks; declared so requests keep one shape
  app.decorateRequest('controlAdmin', false); // set by the control guard (src/http/control-access.ts)
  installProblemHandlers(app, config.profile);
  installRequestTimeouts(app, config);
  allowEmptyJsonBody(app);
  installSteering(app, { faults, journal });
  app.addSchema(problemSchema);
  await registerOpenApi(app, config); // before the routes: it documents every route added after it
  await app.register(batchRoutes, { prefix: '/api', config, service, processes, keys });
  await app.register(simulatorRoutes, {
    prefix: '/_simulator',
    processes,
    version: VERSION,
    checkWritable: () => {
      store.checkWritable();
      blobs.checkWritable();
    },
  });
  await app.register(controlRoutes, { prefix: '/_simulator', access: config, control, clock, reset });
  await app.register(tsaRoutes, { prefix: '/tsa', config, processes, keys, clock, pki });
  await app.register(pkiRoutes, { prefix: '/_simulator/pki', pki, adminToken: config.adminToken });
  await app.register(boardRoutes, { prefix: '/_simulator', config, control, clock, keys, faults, journal });
  await app.register(steeringRoutes, { prefix: '/_simulator', faults, journal, config });

  const tickMs = options.tickMs ?? 50;
  let ticker: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    worker.resume();
    if (tickMs > 0) {
      ticker = setInterval(() => {
        try {
          progression.tick();
        } catch (err) {
          app.log.error({ err }, 'progress tick failed');
        }
      }, tickMs);
      ticker.unref();
    }
  });
  // Work stops as soon as closing starts (sealing processes killed; interrupted batches resume on
  // the next start), while requests in flight drain: a poison document cannot eat the shutdown's time.
  let workStopped: Promise<void> | undefined;
  app.addHook('preClose', async () => {
    workStopped = worker.stop(WORKER_STOP_MS);
  });
  app.addHook('onClose', async () => {
    clearInterval(ticker);
    await (workStopped ?? worker.stop(WORKER_STOP_MS));
    // Sealing processes are killed (SIGKILL), so close() returns at once; bounded all the same.
    await within(SIGNER_STOP_MS, signer.close?.());
    await pki.close(); // a load still in progress must finish before its directory goes
    store.close();
    temporary?.remove();
  });

  return app;
}
