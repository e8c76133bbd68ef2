/**
 * seal-simulator benchmark harness: never part of `npm test`. `npx tsx scripts/bench/run.ts --help`
 * lists every option (scripts/bench/options.ts); BENCHMARKS.md explains the method and the results.
 *
 *   npm run bench                                  # full run, < 15 min on 2 cores
 *   npm run bench:quick                            # smoke run, about 2 min
 *   npm run bench -- --only status,startup,sealing --peers none --baseline main
 *
 * Each section (scripts/bench/sections/) measures and returns its rows, its markdown and its
 * targets; this file picks the servers, runs the chosen sections in order, and prints and writes
 * the report. Every child process runs in its own process group and is killed on exit, error or
 * signal; every temp file is removed except the results directory.
 */
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchContext, BUSY_CORES, createContext } from './context.js';
import { type BaselineBuild, buildBaseline } from './lib/baseline-build.js';
import type { LoadRow } from './lib/measure.js';
import { cleanupAllSync, installCleanupHooks, keepTempDir, makeTempDir } from './lib/proc.js';
import { fx, machineInfo, type SectionResult, type Target, table } from './lib/report.js';
import { bareFastifyDef, prismDef, type ServerDef, type SimConfig, simulatorDef, wiremockDef } from './lib/servers.js';
import { ALL_SECTIONS, type BenchOptions, helpText, parseOptions, UsageError } from './options.js';
import { beforeAfterSection } from './sections/before-after.js';
import { type SealingResult, sealingSection } from './sections/sealing.js';
import { scaleSection } from './sections/scale.js';
import { statusSection } from './sections/status.js';
import { type StartupRow, startupSection } from './sections/startup.js';
import { uploadSection } from './sections/upload.js';

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** The simulator under test, from `--sim`. */
function simConfig(repoRoot: string, sim: string, dataRoot: string): SimConfig {
  if (sim === 'dist') {
    return { cmd: [process.execPath, path.join(repoRoot, 'dist/src/cli.js')], label: 'seal-simulator (dist/src/cli.js)', dataRoot, seals: true };
  }
  if (sim === 'stand-in') {
    return {
      cmd: [process.execPath, '--import', 'tsx', path.join(repoRoot, 'scripts/bench/stand-in-sim.ts')],
      label: 'STAND-IN (scripts/bench/stand-in-sim.ts), not the simulator',
      dataRoot,
      seals: false,
    };
  }
  return { cmd: sim.split(' ').filter(Boolean), label: `custom: ${sim}`, dataRoot, seals: true };
}

interface Servers {
  sim: ServerDef;
  baseline: ServerDef | null;
  peers: ServerDef[];
}

async function servers(ctx: BenchContext, dataRoot: string, baseline: BaselineBuild | null): Promise<Servers> {
  const { opts, repoRoot } = ctx;
  const cfg = simConfig(repoRoot, opts.sim, dataRoot);
  const peers: ServerDef[] = [];
  if (opts.peers.includes('bare-fastify')) peers.push(await bareFastifyDef(repoRoot));
  if (opts.peers.includes('wiremock')) peers.push(wiremockDef(repoRoot));
  if (opts.peers.includes('prism')) peers.push(prismDef(repoRoot));
  const base = baseline
    ? simulatorDef({ cmd: [process.execPath, baseline.cli], label: `baseline ${baseline.ref} (${baseline.commit})`, dataRoot, seals: true }, 'baseline')
    : null;
  return { sim: simulatorDef(cfg), baseline: base, peers };
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n\n${helpText()}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  if (opts.sim === 'dist' && !existsSync(path.join(repoRoot, 'dist/src/cli.js'))) {
    throw new Error('dist/src/cli.js does not exist: build it first (npm run build), or pass --sim stand-in');
  }
  installCleanupHooks();
  const ctx = createContext(repoRoot, opts, log, os.cpus().length);
  const started = Date.now();
  log(
    `mode ${opts.quick ? 'quick' : 'full'}; sections ${opts.sections.join(',')}; pinning ${ctx.serverCpu ? `servers CPU ${ctx.serverCpu}, load generator CPU ${ctx.loadgenCpu}` : 'off'}`,
  );

  const baseline = opts.baseline ? buildBaseline(repoRoot, opts.baseline, log) : null;
  try {
    const dataRoot = makeTempDir('bench-simdata-');
    const { sim, baseline: base, peers } = await servers(ctx, dataRoot, baseline);
    log(`simulator: ${sim.label}${base ? `; baseline: ${base.label}` : ''}`);
    const builds = base ? [sim, base] : [sim];

    const results: Record<string, unknown> = { machine: machineInfo(repoRoot), options: opts };
    const done: { name: string; result: SectionResult<unknown> }[] = [];
    const run = async <R>(name: string, section: () => Promise<SectionResult<R>>): Promise<R> => {
      const result = await section();
      done.push({ name, result });
      results[name] = result.rows;
      return result.rows;
    };
    let status: LoadRow[] = [];
    let startup: StartupRow[] = [];
    let sealing: SealingResult | null = null;
    for (const name of ALL_SECTIONS.filter((s) => opts.sections.includes(s))) {
      if (name === 'status') status = await run(name, () => statusSection(ctx, [...builds, ...peers]));
      if (name === 'startup') startup = await run(name, () => startupSection(ctx, [...builds, ...peers]));
      if (name === 'upload') await run(name, () => uploadSection(ctx, sim));
      if (name === 'sealing' && !sim.firstClosed) log(`sealing: skipped: ${sim.label} does not seal`);
      else if (name === 'sealing') sealing = await run(name, () => sealingSection(ctx, builds));
      if (name === 'scale') await run(name, () => scaleSection(ctx, sim));
    }
    if (base) {
      await run('beforeAfter', async () => beforeAfterSection({ baselineLabel: base.label, connections: opts.connections, status, startup, sealing }));
    }

    const targets: Target[] = done.flatMap((d) => d.result.targets);
    const mi = results.machine as Record<string, string>;
    const busy = ctx.quietWaits.filter((q) => q.busyCores >= BUSY_CORES);
    const elapsedSeconds = (Date.now() - started) / 1000;
    const md = [
      '',
      `## seal-simulator benchmarks (${opts.quick ? 'QUICK smoke run: not for publication' : 'full run'})`,
      '',
      `Machine: ${mi.cpus}, ${mi.memory}, ${mi.kernel}; Node ${mi.node}; ${mi.java}; autocannon ${mi.autocannon}, Fastify ${mi.fastify}, WireMock ${mi.wiremock}, Prism ${mi.prism}; commit ${mi.commit}.`,
      `Simulator: ${sim.label}.${base ? ` Baseline: ${base.label}, built in a temporary worktree on the same node_modules.` : ''}`,
      '',
      ...done.map((d) => d.result.markdown),
      ...(targets.length
        ? [
            '### Targets',
            '',
            table(
              ['target', 'measured', 'met?'],
              targets.map((t) => [t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED']),
            ),
            '',
          ]
        : []),
      ...(busy.length
        ? [
            `Warning: the machine was busy with other work before ${busy.length} of ${ctx.quietWaits.length} measurements (see quietWaits in the JSON); treat those rows with care.`,
          ]
        : []),
      `Total ${fx(elapsedSeconds)} s.`,
    ].join('\n');
    process.stdout.write(`${md}\n`);
    Object.assign(results, { targets, quietWaits: ctx.quietWaits, elapsedSeconds });

    const outDir = makeTempDir('seal-sim-bench-');
    keepTempDir(outDir);
    writeFileSync(path.join(outDir, 'bench-results.json'), JSON.stringify(results, null, 2));
    writeFileSync(path.join(outDir, 'bench-results.md'), `${md}\n`);
    process.stdout.write(`\nResults: ${path.join(outDir, 'bench-results.json')} (and bench-results.md)\n`);
    return 0;
  } finally {
    baseline?.remove();
  }
}

main()
  .then((code) => {
    cleanupAllSync();
    process.exit(code);
  })
  .catch((err: unknown) => {
    process.stderr.write(`[bench] failed: ${(err as Error)?.stack ?? String(err)}\n`);
    cleanupAllSync();
    process.exit(1);
  });
