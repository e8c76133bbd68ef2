/**
 * Section "before/after" (with `--baseline REF`): the figures a change must not make worse — server
 * CPU per status request, start-up and the sealing mix — for the baseline build and the current
 * one, measured in the same run by the status, startup and sealing sections, side by side with
 * their ratio. Targets: on each CPU-time figure (CPU per status request, CPU to healthy, CPU per
 * sealed document) the current build is within 10 % of the baseline. CPU time is what a change to
 * the code moves and what other work on a shared machine moves least; the wall-clock figures
 * beside them are shown, not judged, and the tolerance absorbs what is left of the noise.
 */
import { cpuMicrosPerRequest, type LoadRow } from '../lib/measure.js';
import { fx, type SectionResult, type Target, table } from '../lib/report.js';
import type { ServerName } from '../lib/servers.js';
import type { SealingResult } from './sealing.js';
import type { StartupRow } from './startup.js';

export interface BeforeAfterRow {
  metric: string;
  /** Which way is better. */
  better: 'lower' | 'higher';
  before: number;
  after: number;
  /** after ÷ before */
  ratio: number;
  /** A CPU-time figure, judged against the baseline; wall-clock figures are shown only. */
  judged: boolean;
}

export interface BeforeAfterInput {
  baselineLabel: string;
  connections: number;
  status: LoadRow[];
  startup: StartupRow[];
  sealing: SealingResult | null;
}

/** How much worse than the baseline a figure may be and still count as "no regression". */
const TOLERANCE = 0.1;

export function beforeAfterSection(input: BeforeAfterInput): SectionResult<BeforeAfterRow[]> {
  const rows = compare(input);
  return { rows, markdown: beforeAfterMarkdown(input, rows), targets: beforeAfterTargets(rows) };
}

function compare({ connections, status, startup, sealing }: BeforeAfterInput): BeforeAfterRow[] {
  const rows: BeforeAfterRow[] = [];
  const add = (metric: string, better: BeforeAfterRow['better'], before: number | null | undefined, after: number | null | undefined, judged = false) => {
    if (before == null || after == null || !Number.isFinite(before) || !Number.isFinite(after)) return;
    rows.push({ metric, better, before, after, ratio: after / before, judged });
  };
  const load = (n: ServerName) => status.find((r) => r.server === n && r.connections === connections);
  const [sb, sa] = [load('baseline'), load('simulator')];
  if (sb && sa) {
    add(`server CPU µs per status request (c=${connections})`, 'lower', cpuMicrosPerRequest(sb), cpuMicrosPerRequest(sa), true);
    add(`status req/s (c=${connections}, server pinned to one CPU)`, 'higher', sb.median.rps, sa.median.rps);
  }
  const start = (n: ServerName) => startup.find((r) => r.server === n);
  const [ub, ua] = [start('baseline'), start('simulator')];
  if (ub && ua) {
    add('start-up: CPU ms of the process tree when first healthy, median', 'lower', ub.medianCpuToReadyMs, ua.medianCpuToReadyMs, true);
    add('start-up: spawn to first good health answer, median ms', 'lower', ub.medianMs, ua.medianMs);
    add('start-up: spawn to first status of a new batch, median ms', 'lower', ub.medianFirstStatusMs, ua.medianFirstStatusMs);
    add('start-up: first batch CLOSED after ready, median ms', 'lower', ub.medianReadyToClosedMs, ua.medianReadyToClosedMs);
    add('start-up: CPU ms of the process tree when the first batch is CLOSED, median', 'lower', ub.medianCpuToClosedMs, ua.medianCpuToClosedMs);
  }
  const seal = (n: ServerName) => sealing?.builds.find((b) => b.server === n);
  add(
    'sealing mix: CPU ms per document (server + sealing processes)',
    'lower',
    seal('baseline')?.medianCpuMsPerDoc,
    seal('simulator')?.medianCpuMsPerDoc,
    true,
  );
  add('sealing mix, documents/s', 'higher', seal('baseline')?.medianDocsPerSec, seal('simulator')?.medianDocsPerSec);
  return rows;
}

const worseBy = (r: BeforeAfterRow) => (r.better === 'lower' ? r.ratio - 1 : 1 - r.ratio);

function beforeAfterMarkdown(input: BeforeAfterInput, rows: BeforeAfterRow[]): string {
  const d = (x: number) => (x >= 100 ? 0 : 1);
  return [
    `### Before/after: ${input.baselineLabel} against the current build, same run`,
    '',
    table(
      ['metric', 'before (baseline)', 'after (current)', 'after ÷ before', 'better is', 'judged'],
      rows.map((r) => [r.metric, fx(r.before, d(r.before)), fx(r.after, d(r.after)), `${fx(r.ratio, 2)}×`, r.better, r.judged ? 'yes' : 'shown']),
    ),
    '',
  ].join('\n');
}

function beforeAfterTargets(rows: BeforeAfterRow[]): Target[] {
  return rows
    .filter((r) => r.judged)
    .map((r) => ({
      target: `${r.metric}: no worse than the baseline (within ${TOLERANCE * 100} %)`,
      measured: `${fx(r.before, 1)} → ${fx(r.after, 1)} (${fx(r.ratio, 2)}×)`,
      met: worseBy(r) <= TOLERANCE,
    }));
}
