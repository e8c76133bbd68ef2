/**
 * The benchmark harness's pure parts: its options (every one documented in --help, parsed as
 * documented, refused when unknown or malformed) and the before/after judgement of a baseline.
 */
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../../scripts/bench/lib/load.js';
import type { LoadRow } from '../../../scripts/bench/lib/measure.js';
import { defaults, helpText, OPTIONS, parseOptions, UsageError } from '../../../scripts/bench/options.js';
import { beforeAfterSection } from '../../../scripts/bench/sections/before-after.js';
import type { SealingResult } from '../../../scripts/bench/sections/sealing.js';
import type { StartupRow } from '../../../scripts/bench/sections/startup.js';

describe('bench options', () => {
  it('lists every option in --help, with the default and the --quick value where they differ', () => {
    const help = helpText();
    for (const o of OPTIONS) expect(help).toContain(o.value ? `${o.flag} ${o.value}` : o.flag);
    expect(help).toMatch(/--duration S +seconds of each measured load run \(default 10, --quick 3\)/);
    expect(help).toMatch(/--sealing-runs N .*\(default 1\)/);
  });

  it('parses what --help documents, in both spellings', () => {
    const o = parseOptions(['--quick', '--only', 'status,sealing', '--peers=none', '--baseline', 'main', '--duration=2', '--no-pin', '--no-overload']);
    expect(o).toMatchObject({ quick: true, sections: ['status', 'sealing'], peers: [], baseline: 'main', durationSec: 2, pin: false, overload: false });
    expect(o.warmupSec).toBe(defaults(true).warmupSec);
    expect(parseOptions([]).sections).toEqual(['status', 'startup', 'upload', 'sealing', 'scale']);
    expect(parseOptions(['--runs', '4'])).toMatchObject({ runs: 4, overloadRuns: 4 });
  });

  it('refuses an unknown option, an unknown section and a bad number, saying which', () => {
    expect(() => parseOptions(['--bogus'])).toThrow(new UsageError('unknown option --bogus (see --help)'));
    expect(() => parseOptions(['--only', 'status,speed'])).toThrow(/--only: "speed" is not one of status, startup, upload, sealing, scale/);
    expect(() => parseOptions(['--runs', '0'])).toThrow(/--runs wants a whole number ≥ 1, not "0"/);
    expect(() => parseOptions(['--stored', '1.5'])).toThrow(/--stored wants a whole number/);
    expect(() => parseOptions(['--baseline'])).toThrow(/--baseline needs a value \(REF\)/);
  });
});

const load = (rps: number): LoadResult => ({
  rps,
  p50: 1,
  p99: 2,
  total: rps,
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  bytesPerSec: 0,
  loadgenCores: 0.3,
  machineCores: 1,
});
const statusRow = (server: 'simulator' | 'baseline', rps: number, serverCpu: number): LoadRow => ({
  server,
  label: server,
  connections: 50,
  median: load(rps),
  runs: [load(rps)],
  serverCpu,
  otherCpu: 0,
  bodyBytes: 156,
  peakRssBytes: null,
});
const startupRow = (server: 'simulator' | 'baseline', medianMs: number, cpuToReady: number): StartupRow => ({
  server,
  label: server,
  readyPath: '/_simulator/health',
  runsMs: [medianMs],
  medianMs,
  firstStatusMs: [medianMs + 100],
  medianFirstStatusMs: medianMs + 100,
  firstClosedMs: [medianMs + 500],
  medianFirstClosedMs: medianMs + 500,
  medianReadyToClosedMs: 500,
  idleRssBytes: 1,
  medianCpuToReadyMs: cpuToReady,
  medianCpuToClosedMs: cpuToReady + 300,
});
const sealing = (before: number, after: number): SealingResult => ({
  mix: 'mix',
  rawSignaturesPerSec: 1000,
  builds: [
    { server: 'simulator', label: 'current', docsPerSecRuns: [50], medianDocsPerSec: 50, medianCpuMsPerDoc: after },
    { server: 'baseline', label: 'baseline', docsPerSecRuns: [50], medianDocsPerSec: 50, medianCpuMsPerDoc: before },
  ],
});

describe('before/after', () => {
  it('judges the CPU-time figures against the baseline with a 10 % tolerance and only shows the wall-clock ones', () => {
    const { rows, markdown, targets } = beforeAfterSection({
      baselineLabel: 'baseline main (abc1234)',
      connections: 50,
      // 100 µs per request before, 108 µs after: within 10 %
      status: [statusRow('baseline', 5000, 0.5), statusRow('simulator', 5000, 0.54)],
      // start-up CPU 500 → 600 ms: 20 % worse; wall-clock twice as slow, but only shown
      startup: [startupRow('baseline', 1000, 500), startupRow('simulator', 2000, 600)],
      // sealing CPU per document 20 → 15 ms: better
      sealing: sealing(20, 15),
    });
    expect(rows.find((r) => r.metric.startsWith('server CPU µs per status request'))).toMatchObject({ before: 100, after: 108, judged: true });
    expect(targets.map((t) => [t.target.split(':')[0], t.met])).toEqual([
      ['server CPU µs per status request (c=50)', true],
      ['start-up', false],
      ['sealing mix', true],
    ]);
    expect(targets[1]!.measured).toBe('500.0 → 600.0 (1.20×)');
    expect(rows.filter((r) => !r.judged).map((r) => r.metric)).toContain('start-up: spawn to first good health answer, median ms');
    expect(markdown).toContain('### Before/after: baseline main (abc1234) against the current build, same run');
    expect(markdown).toMatch(/\| start-up: spawn to first good health answer, median ms +\| 1000 +\| 2000 +\| 2\.00× +\| lower +\| shown +\|/);
  });

  it('leaves out what was not measured in this run', () => {
    const { rows, targets } = beforeAfterSection({ baselineLabel: 'b', connections: 50, status: [], startup: [], sealing: sealing(10, 10) });
    expect(rows.map((r) => r.metric)).toEqual(['sealing mix: CPU ms per document (server + sealing processes)', 'sealing mix, documents/s']);
    expect(targets).toHaveLength(1);
  });
});
