import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../config.js';
import { loadProcesses } from '../processes-file.js';
import { VERSION } from '../version.js';
import { cassetteLines, readCassette } from './cassette.js';
import { describe, judge } from './judge.js';
import { kitPackages } from './kit-documents.js';
import { KitRun, kitPlan } from './kit-run.js';
import { observe } from './observations.js';
import { DEFAULT_PROFILE, loadProfile } from '../contract/vendor-profile.js';
import { profileFrom } from './profile-writer.js';
import { startRecorder } from './record-proxy.js';
import { startReplay } from './replay-server.js';
import { makeReport, reportMarkdown } from './report.js';

/**
 * `seal-simulator conformance | record | replay`: calibrating the simulator against a real
 * SEAL service. Exit codes: 0 the target matches the model, 1 it differs, 2 a usage error.
 */

const USAGE = `Calibrating against a real SEAL service (see the README, "For integrators with sandbox access"):

  seal-simulator conformance --url URL --api-key KEY [--process N] [--out DIR]
        [--other-api-key KEY2] [--oversized-bytes N] [--poll-ms N] [--max-wait-s N]
        [--profile FILE] [--write-profile FILE] [--dry-run] [--yes]
  seal-simulator conformance --cassette FILE [--process N] [--out DIR] [--profile FILE] [--write-profile FILE]
      Runs the integrator scenarios against URL (or judges a recorded cassette without the network)
      and reports what the target did next to what the simulator assumes. The API key may also come
      from the SEAL_API_KEY variable (kept out of shell history). A target that is not on this
      machine (loopback) is only contacted with --yes; --dry-run prints every request instead.
      Exit 0: the target matches the simulator's model (or only differs where the profile says so);
      1: it differs; 2: usage error.

  seal-simulator record --target URL --out cassette.ndjson [--port 8080] [--host 127.0.0.1] [--store-bodies]
      Listens like the simulator and forwards every /api/ and /tsa/ request to URL, recording each
      exchange with API keys and tokens redacted. --store-bodies keeps packages beside the cassette.

  seal-simulator replay cassette.ndjson [--port 8080] [--host 127.0.0.1]
      Serves a recorded session back, byte for byte for JSON bodies.
`;

class UsageError extends Error {}

export async function runCalibrateCommand(command: string, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (command === 'conformance') return await conformance(argv, env, say);
    if (command === 'record') return await record(argv, say);
    if (command === 'replay') return await replay(argv, say);
    throw new UsageError(`unknown command ${command}`);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      say(`seal-simulator ${command}: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]', '::1'].includes(url.hostname) || /^127\./.test(url.hostname);
const positive = (name: string, raw: string | undefined, fallback: number) => {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`--${name} must be a positive whole number`);
  return Number(raw);
};

async function conformance(argv: string[], env: NodeJS.ProcessEnv, say: (l: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      'other-api-key': { type: 'string' },
      process: { type: 'string' },
      out: { type: 'string' },
      'oversized-bytes': { type: 'string' },
      'poll-ms': { type: 'string' },
      'max-wait-s': { type: 'string' },
      profile: { type: 'string' },
      'write-profile': { type: 'string' },
      processes: { type: 'string' },
      cassette: { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean' },
    },
  });
  const processId = positive('process', values.process, 1);
  const profile = values.profile ? loadProfile(resolve(values.profile)) : DEFAULT_PROFILE;
  const processes = loadProcesses(values.processes ? resolve(values.processes) : join(PACKAGE_ROOT, 'fixtures/processes.json'));
  const startedAt = new Date().toISOString();

  let exchanges;
  let target: string;
  let plan: string[];
  if (values.cassette) {
    const cassette = readCassette(resolve(values.cassette));
    exchanges = cassette.exchanges;
    target = cassette.header.target;
    plan = [
      `judged the cassette ${values.cassette} (${exchanges.length} exchanges recorded ${cassette.header.recordedAt} by ${cassette.header.tool}); nothing was sent`,
    ];
  } else {
    if (!values.url) throw new UsageError('--url is required (or --cassette to judge a recording)');
    let url: URL;
    try {
      url = new URL(values.url);
    } catch {
      throw new UsageError(`--url ${JSON.stringify(values.url)} is not a URL`);
    }
    const apiKey = values['api-key'] ?? env.SEAL_API_KEY;
    if (!apiKey) throw new UsageError('--api-key (or the SEAL_API_KEY variable) is required');
    target = url.origin + url.pathname.replace(/\/$/, '');
    const packages = await kitPackages();
    const options = {
      baseUrl: `${target}/`,
      apiKey,
      processId,
      ...(values['other-api-key'] ? { otherApiKey: values['other-api-key'] } : {}),
      ...(values['oversized-bytes'] ? { oversizedBytes: positive('oversized-bytes', values['oversized-bytes'], 0) } : {}),
      pollMs: positive('poll-ms', values['poll-ms'], isLoopback(url) ? 100 : 1000),
      maxWaitMs: positive('max-wait-s', values['max-wait-s'], 600) * 1000,
      dryRun: !!values['dry-run'],
      say,
    };
    const planned = kitPlan(options, packages);
    plan = planned.lines;
    say(`conformance kit ${VERSION}:`);
    for (const l of plan) say(`  ${l}`);
    if (!isLoopback(url) && !values.yes && !values['dry-run']) {
      say(`\n${url.host} is not on this machine. Nothing was sent. Look at every request with --dry-run, then run again with --yes.`);
      return 2;
    }
    const run = new KitRun(options, packages);
    exchanges = await run.run();
    if (values['dry-run']) return 0;
  }

  const seen = observe(exchanges);
  const process = processes.get(processId);
  const aspects = judge(seen, profile, process);
  const report = makeReport({ target, processId, profile: profile.name, startedAt, plan, requests: exchanges.length, aspects, observations: seen });
  const markdown = reportMarkdown(report);
  if (values.out) {
    const dir = resolve(values.out);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report.md'), markdown);
    writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (!values.cassette) {
      writeFileSync(
        join(dir, 'cassette.ndjson'),
        cassetteLines({ header: { cassette: 1, target, recordedAt: startedAt, tool: `seal-simulator conformance ${VERSION}` }, exchanges }),
      );
    }
    say(`report: ${join(dir, 'report.md')} (and report.json${values.cassette ? '' : ', cassette.ndjson'})`);
  }
  if (values['write-profile']) {
    const written = profileFrom(
      seen,
      aspects,
      profile,
      process,
      `Observed on ${target}, process ${processId}, ${startedAt}, by seal-simulator conformance ${VERSION}`,
    );
    writeFileSync(resolve(values['write-profile']), `${JSON.stringify(written, null, 2)}\n`);
    say(`profile: ${values['write-profile']} (${written.cannotTakeOn.length} difference(s) no switch can take on)`);
  }
  process ?? say(`process ${processId} is not one of the simulator's processes: the package layout was not judged`);
  for (const d of report.differences) say(`DIFFERS  ${describe(d)}${d.switch ? `  [profile: ${d.switch}]` : '  [no switch]'}`);
  for (const d of report.known) say(`known    ${describe(d)}`);
  say(
    report.verdict === 'matches'
      ? `the target matches the simulator's model (${aspects.length} aspects)`
      : `${report.differences.length} difference(s) in ${aspects.length} aspects`,
  );
  return report.verdict === 'matches' ? 0 : 1;
}

async function listenUntilSignal(close: () => Promise<void>): Promise<number> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await close();
  return 0;
}

async function record(argv: string[], say: (l: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { target: { type: 'string' }, out: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'store-bodies': { type: 'boolean' } },
  });
  if (!values.target) throw new UsageError('--target is required');
  if (!values.out) throw new UsageError('--out is required');
  const out = resolve(values.out);
  const recorder = await startRecorder({
    target: values.target,
    out,
    host: values.host ?? '127.0.0.1',
    port: values.port === undefined ? 8080 : Number(values.port),
    ...(values['store-bodies'] ? { storeDir: `${out}.bodies` } : {}),
    tool: `seal-simulator record ${VERSION}`,
    say,
  });
  process.stdout.write(`${JSON.stringify({ msg: `recording ${values.target} on ${recorder.url}`, url: recorder.url, out })}\n`);
  const code = await listenUntilSignal(() => recorder.close());
  say(`recorded ${recorder.exchanges()} exchange(s) into ${out}`);
  return code;
}

async function replay(argv: string[], say: (l: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('give one cassette file');
  const path = resolve(positionals[0]!);
  const server = await startReplay(readCassette(path), path, {
    host: values.host ?? '127.0.0.1',
    port: values.port === undefined ? 8080 : Number(values.port),
    say,
  });
  process.stdout.write(`${JSON.stringify({ msg: `replaying ${path} on ${server.url}`, url: server.url })}\n`);
  return listenUntilSignal(() => server.close());
}
