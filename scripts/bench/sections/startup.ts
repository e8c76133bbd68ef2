/**
 * Section "startup": spawn to the first good answer (polled every 10 ms), to the first status of a
 * batch made after start-up, and, for the simulator, to that batch CLOSED. Not pinned: as a user
 * would start it; servers take turns, one start each per round. Targets: first batch CLOSED
 * ≤ 300 ms after ready; start-up ≤ ⅓ of WireMock's.
 */
import type { BenchContext } from '../context.js';
import { median } from '../lib/load.js';
import { startAndWait } from '../lib/measure.js';
import { currentRss, descendants, httpRequest, treeCpuSeconds } from '../lib/proc.js';
import { fmtMB, fx, type SectionResult, type Target, table } from '../lib/report.js';
import { API_HEADERS, type ServerDef, type ServerName } from '../lib/servers.js';

export interface StartupRow {
  server: ServerName;
  label: string;
  readyPath: string;
  runsMs: number[];
  medianMs: number;
  /**
   * Spawn to the first 200 of the status route for a batch made after start-up (the simulator:
   * CreateBatch + upload + BatchStatus, each route's first call; the peers: their status route).
   * What the first poll of a test suite waits for, lazy work included.
   */
  firstStatusMs: number[];
  medianFirstStatusMs: number;
  /**
   * The simulator only: spawn to that batch CLOSED (AcceptBatch right after the first status,
   * instant timing, the default real signer), and the same from the first good health answer.
   */
  firstClosedMs: number[] | null;
  medianFirstClosedMs: number | null;
  medianReadyToClosedMs: number | null;
  /** RSS of the process tree right after the first good answer. */
  idleRssBytes: number;
  /**
   * CPU time the process tree had used when it first answered, median: the start-up's cost,
   * which other work on a shared machine moves far less than the wall-clock time.
   */
  medianCpuToReadyMs: number;
  /** The simulator only: CPU time the process tree had used when the first batch was CLOSED, median. */
  medianCpuToClosedMs: number | null;
}

export async function startupSection(ctx: BenchContext, defs: ServerDef[]): Promise<SectionResult<StartupRow[]>> {
  // Rounds of one start per server, so a slow period of a shared machine is spread over all of
  // them rather than landing on one server's starts.
  const samples = new Map(defs.map((d) => [d.name, [] as StartSample[]]));
  for (let i = 0; i < ctx.opts.startupRuns; i++) {
    for (const def of defs) {
      await ctx.quiet(`startup ${def.name} ${i + 1}`);
      samples.get(def.name)!.push(await startOnce(def));
    }
  }
  const rows = defs.map((def) => startupRow(ctx, def, samples.get(def.name)!));
  return { rows, markdown: startupMarkdown(ctx, rows), targets: startupTargets(rows) };
}

interface StartSample {
  readyMs: number;
  firstStatusMs: number;
  firstClosedMs: number | null;
  readyToClosedMs: number | null;
  treeRssBytes: number;
  cpuToReadyMs: number;
  cpuToClosedMs: number | null;
}

/** One start (not pinned: as a user would start it), the first status, and the first batch CLOSED. */
async function startOnce(def: ServerDef): Promise<StartSample> {
  const { proc, base, readyMs } = await startAndWait(def);
  try {
    const cpuToReadyMs = (treeCpuSeconds(proc.pid) ?? Number.NaN) * 1000;
    let tree = currentRss(proc.pid) ?? 0;
    for (const k of descendants(proc.pid)) tree += currentRss(k) ?? 0;
    const statusPath = await def.prepareStatus(base);
    const first = await httpRequest(base + statusPath, { headers: API_HEADERS });
    if (first.status !== 200) throw new Error(`${def.label}: first status answered ${first.status}`);
    const firstStatusMs = performance.now() - proc.startedAt;
    let firstClosedMs: number | null = null;
    let cpuToClosedMs: number | null = null;
    if (def.firstClosed) {
      await def.firstClosed(base, statusPath);
      firstClosedMs = performance.now() - proc.startedAt;
      cpuToClosedMs = (treeCpuSeconds(proc.pid) ?? Number.NaN) * 1000;
    }
    return {
      readyMs,
      firstStatusMs,
      firstClosedMs,
      readyToClosedMs: firstClosedMs === null ? null : firstClosedMs - readyMs,
      treeRssBytes: tree,
      cpuToReadyMs,
      cpuToClosedMs,
    };
  } finally {
    await proc.stop();
  }
}

function startupRow(ctx: BenchContext, def: ServerDef, samples: StartSample[]): StartupRow {
  const runsMs = samples.map((x) => x.readyMs);
  const firstStatusMs = samples.map((x) => x.firstStatusMs);
  const firstClosedMs = samples.flatMap((x) => (x.firstClosedMs === null ? [] : [x.firstClosedMs]));
  const readyToClosedMs = samples.flatMap((x) => (x.readyToClosedMs === null ? [] : [x.readyToClosedMs]));
  const row: StartupRow = {
    server: def.name,
    label: def.label,
    readyPath: def.readyPath,
    runsMs,
    medianMs: median(runsMs),
    firstStatusMs,
    medianFirstStatusMs: median(firstStatusMs),
    firstClosedMs: firstClosedMs.length ? firstClosedMs : null,
    medianFirstClosedMs: firstClosedMs.length ? median(firstClosedMs) : null,
    medianReadyToClosedMs: readyToClosedMs.length ? median(readyToClosedMs) : null,
    idleRssBytes: median(samples.map((x) => x.treeRssBytes)),
    medianCpuToReadyMs: median(samples.map((x) => x.cpuToReadyMs)),
    medianCpuToClosedMs: def.firstClosed ? median(samples.map((x) => x.cpuToClosedMs ?? Number.NaN)) : null,
  };
  const closed =
    row.firstClosedMs && row.medianFirstClosedMs !== null && row.medianReadyToClosedMs !== null
      ? `; first batch CLOSED ${fx(row.medianFirstClosedMs)} ms (${row.firstClosedMs.map((x) => fx(x)).join(', ')}), ${fx(row.medianReadyToClosedMs)} ms after ready`
      : '';
  ctx.log(
    `startup: ${def.label}: median ${fx(row.medianMs)} ms (${runsMs.map((x) => fx(x)).join(', ')}), CPU ${fx(row.medianCpuToReadyMs)} ms; first status ${fx(row.medianFirstStatusMs)} ms${closed}`,
  );
  return row;
}

function startupMarkdown(ctx: BenchContext, rows: StartupRow[]): string {
  const sim = rows.find((r) => r.server === 'simulator');
  const ratio = (r: StartupRow, pick: (x: StartupRow) => number) => (sim && r.server !== 'simulator' ? `${fx(pick(sim) / pick(r), 2)}×` : '—');
  const out = [
    `### Start-up: spawn to first good answer (polled every 10 ms), median of ${ctx.opts.startupRuns}, not pinned`,
    '',
    table(
      [
        'server',
        'polled',
        'median ms',
        'min ms',
        'max ms',
        'RSS when ready',
        'CPU ms to ready',
        'simulator ÷ this',
        'to first status of a new batch, median ms',
        'simulator ÷ this (first status)',
      ],
      rows.map((r) => [
        r.label,
        `GET ${r.readyPath}`,
        fx(r.medianMs),
        fx(Math.min(...r.runsMs)),
        fx(Math.max(...r.runsMs)),
        fmtMB(r.idleRssBytes),
        fx(r.medianCpuToReadyMs),
        ratio(r, (x) => x.medianMs),
        fx(r.medianFirstStatusMs),
        ratio(r, (x) => x.medianFirstStatusMs),
      ]),
    ),
    '',
  ];
  if (sim?.firstClosedMs && sim.medianFirstClosedMs !== null && sim.medianReadyToClosedMs !== null) {
    out.push(
      'Simulator, spawn to its first batch CLOSED (CreateBatch + upload of a one-PDF ZIP + AcceptBatch, process 2, instant timing, real signer, polled every 10 ms): ' +
        `median ${fx(sim.medianFirstClosedMs)} ms (${sim.firstClosedMs.map((x) => fx(x)).join(', ')}); ${fx(sim.medianReadyToClosedMs)} ms of it after the first good health answer.`,
      '',
    );
  }
  return out.join('\n');
}

function startupTargets(rows: StartupRow[]): Target[] {
  const sim = rows.find((r) => r.server === 'simulator');
  if (!sim) return [];
  const targets: Target[] = [];
  if (sim.medianFirstClosedMs !== null && sim.medianReadyToClosedMs !== null) {
    targets.push({
      target: 'first batch CLOSED ≤ 300 ms after start-up (instant, real signer)',
      measured: `${fx(sim.medianReadyToClosedMs)} ms after ready; ${fx(sim.medianFirstClosedMs)} ms from spawn`,
      met: sim.medianReadyToClosedMs <= 300,
    });
  }
  const w = rows.find((r) => r.server === 'wiremock');
  if (w) {
    targets.push({
      target: 'start-up ≤ ⅓ of WireMock’s',
      measured: `${fx(sim.medianMs)} ms vs ${fx(w.medianMs)} ms (${fx(sim.medianMs / w.medianMs, 2)}×)`,
      met: sim.medianMs <= w.medianMs / 3,
    });
  }
  return targets;
}
