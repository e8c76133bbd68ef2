/**
 * Section "scale": status latency with many stored batches against few. Two simulator processes
 * side by side (pinned to the same CPU), one seeded with few batches and one with many through the
 * API, measured in interleaved rounds. Target: 10k stored batches ≤ 1.2 × the latency of 10.
 */
import http from 'node:http';
import type { BenchContext } from '../context.js';
import { cpuMicrosPerRequest, type LoadRow, measureInterleaved, startAndWait, warmUp } from '../lib/measure.js';
import { httpRequest, peakRss, type Spawned } from '../lib/proc.js';
import { fmtMB, fx, type SectionResult, type Target, table } from '../lib/report.js';
import { API_HEADERS, createBatchWithDoc, type ServerDef } from '../lib/servers.js';
import { tinyZip } from '../lib/zip.js';

export interface ScaleRow {
  stored: number;
  seedSeconds: number;
  load: LoadRow;
}

export async function scaleSection(ctx: BenchContext, sim: ServerDef): Promise<SectionResult<ScaleRow[]>> {
  const rows = await measureScale(ctx, sim);
  const [few, many] = rows as [ScaleRow, ScaleRow];
  return { rows, markdown: scaleMarkdown(ctx, rows, few, many), targets: scaleTargets(few, many) };
}

/** Makes `n` batches (CreateBatch + upload of a one-PDF ZIP) over 8 connections; returns the last id. */
async function seedBatches(base: string, n: number, deadlineMs: number): Promise<string> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const zip = await tinyZip();
  const deadline = performance.now() + deadlineMs;
  let made = 0;
  let last = '';
  let lastN = -1;
  try {
    const worker = async () => {
      while (made < n) {
        if (performance.now() > deadline) throw new Error(`seeding ${n} batches took longer than ${deadlineMs / 1000} s (made ${made})`);
        const k = made++;
        const id = await createBatchWithDoc(base, 2, agent, zip);
        if (k > lastN) {
          lastN = k;
          last = id;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    agent.destroy();
  }
  return last;
}

async function measureScale(ctx: BenchContext, sim: ServerDef): Promise<ScaleRow[]> {
  const { opts } = ctx;
  const live: { n: number; proc: Spawned; url: string; seedSeconds: number; bodyBytes: number }[] = [];
  try {
    for (const n of [opts.storedFew, opts.storedMany]) {
      ctx.log(`scale: ${n} stored batches`);
      const { proc, base } = await startAndWait(sim, ctx.serverCpu);
      const entry = { n, proc, url: '', seedSeconds: 0, bodyBytes: 0 };
      live.push(entry);
      const s0 = performance.now();
      const id = await seedBatches(base, n, opts.quick ? 120_000 : 300_000);
      entry.seedSeconds = (performance.now() - s0) / 1000;
      ctx.log(`  seeded ${n} (create + upload) in ${entry.seedSeconds.toFixed(1)} s; loading batch ${id}`);
      entry.url = `${base}/api/BatchStatus/${id}`;
      const check = await httpRequest(entry.url, { headers: API_HEADERS });
      if (check.status !== 200) throw new Error(`scale: status of ${id} answered ${check.status}`);
      entry.bodyBytes = Buffer.byteLength(check.body);
    }
    await ctx.quiet('scale');
    for (const l of live) await warmUp(ctx, l.url);
    const m = await measureInterleaved(
      ctx,
      live.map((l) => ({ key: `stored-${l.n}`, proc: l.proc, url: l.url })),
      opts.connections,
      opts.runs,
    );
    return live.map((l) => ({
      stored: l.n,
      seedSeconds: l.seedSeconds,
      load: {
        server: sim.name,
        label: sim.label,
        connections: opts.connections,
        ...m.get(`stored-${l.n}`)!,
        bodyBytes: l.bodyBytes,
        peakRssBytes: peakRss(l.proc.pid),
      },
    }));
  } finally {
    for (const l of live) await l.proc.stop();
  }
}

/** Closed loop: mean latency = connections ÷ req/s, so the ratio of latencies is the inverse ratio of rates. */
const ratios = (few: ScaleRow, many: ScaleRow) => ({
  mean: few.load.median.rps / many.load.median.rps,
  p99: many.load.median.p99 / Math.max(1, few.load.median.p99),
  cpu: cpuMicrosPerRequest(many.load) / cpuMicrosPerRequest(few.load),
});

function scaleMarkdown(ctx: BenchContext, rows: ScaleRow[], few: ScaleRow, many: ScaleRow): string {
  const { opts } = ctx;
  const r = ratios(few, many);
  return [
    `### Status latency with ${many.stored} stored batches vs ${few.stored} (c=${opts.connections}, ${opts.runs} interleaved rounds × ${opts.durationSec} s, medians; one process each, side by side; batches made through the API: CreateBatch + upload of a one-PDF ZIP)`,
    '',
    table(
      [
        'stored batches',
        'seeding s',
        'req/s',
        'p50 ms',
        'p99 ms',
        'mean latency ms (c ÷ req/s)',
        'errors',
        'server cores',
        'other cores',
        'server CPU µs/req',
        'peak RSS',
      ],
      rows.map((x) => [
        String(x.stored),
        fx(x.seedSeconds, 1),
        fx(x.load.median.rps),
        String(x.load.median.p50),
        String(x.load.median.p99),
        fx((opts.connections / x.load.median.rps) * 1000, 2),
        String(x.load.median.errors + x.load.median.timeouts + x.load.median.non2xx),
        fx(x.load.serverCpu, 2),
        fx(x.load.otherCpu, 2),
        fx(cpuMicrosPerRequest(x.load)),
        fmtMB(x.load.peakRssBytes),
      ]),
    ),
    '',
    `${many.stored} vs ${few.stored}: mean latency ${fx(r.mean, 2)}×, p99 ${fx(r.p99, 2)}×, server CPU per request ${fx(r.cpu, 2)}× (autocannon reports whole milliseconds).`,
    '',
  ].join('\n');
}

function scaleTargets(few: ScaleRow, many: ScaleRow): Target[] {
  const r = ratios(few, many);
  return [
    {
      target: `${many.stored === 10_000 ? '10k' : `${many.stored} (quick; target is for 10k)`} stored batches ≤ 1.2 × the latency of 10`,
      measured: `mean ${fx(r.mean, 2)}× (p99 ${fx(r.p99, 2)}×, CPU/request ${fx(r.cpu, 2)}×)`,
      // judged on the mean latency: p99 comes in whole milliseconds and, on a shared machine, is
      // mostly scheduling noise; both are shown
      met: r.mean <= 1.2,
    },
  ];
}
