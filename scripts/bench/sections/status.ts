/**
 * Section "status": GET /api/BatchStatus/{id} under load (50 connections, then 500 for overload
 * unless --no-overload), every server measured in interleaved rounds, with the server's own CPU
 * use per request.
 * Targets: the simulator serves at least 0.8 × bare Fastify's and 3 × WireMock's request rate.
 */
import type { BenchContext } from '../context.js';
import { cpuMicrosPerRequest, type LoadRow, type Measured, measureInterleaved, startAndWait, warmUp } from '../lib/measure.js';
import { httpRequest, peakRss, type Spawned } from '../lib/proc.js';
import { fmtMB, fx, type SectionResult, type Target, table } from '../lib/report.js';
import { API_HEADERS, type ServerDef, type ServerName } from '../lib/servers.js';

export async function statusSection(ctx: BenchContext, defs: ServerDef[]): Promise<SectionResult<LoadRow[]>> {
  const rows = await measureStatus(ctx, defs);
  return { rows, markdown: statusMarkdown(ctx, rows), targets: statusTargets(ctx, rows) };
}

async function measureStatus(ctx: BenchContext, defs: ServerDef[]): Promise<LoadRow[]> {
  const { opts } = ctx;
  // All servers run at once (pinned to the same CPU; an idle one costs next to nothing) so their
  // measured runs can be interleaved.
  const live: { def: ServerDef; proc: Spawned; url: string; bodyBytes: number }[] = [];
  try {
    for (const def of defs) {
      ctx.log(`status: starting ${def.label}`);
      const { proc, base } = await startAndWait(def, ctx.serverCpu);
      const entry = { def, proc, url: '', bodyBytes: 0 };
      live.push(entry);
      const p = await def.prepareStatus(base);
      const check = await httpRequest(base + p, { headers: API_HEADERS });
      if (check.status !== 200) throw new Error(`${def.name}: GET ${p} answered ${check.status}: ${check.body.slice(0, 300)}`);
      ctx.log(`  body (${Buffer.byteLength(check.body)} B): ${check.body.slice(0, 200)}`);
      entry.url = base + p;
      entry.bodyBytes = Buffer.byteLength(check.body);
    }
    await ctx.quiet('status');
    for (const l of live) {
      ctx.log(`  warm-up ${l.def.name} (${opts.warmupSec} s)`);
      await warmUp(ctx, l.url);
    }
    const targets = live.map((l) => ({ key: l.def.name, proc: l.proc, url: l.url }));
    const normal = await measureInterleaved(ctx, targets, opts.connections, opts.runs);
    const rssAfterNormal = new Map(live.map((l) => [l.def.name, peakRss(l.proc.pid)]));
    const loads: [number, Map<string, Measured>][] = [[opts.connections, normal]];
    if (opts.overload) {
      await ctx.quiet('status overload');
      loads.push([opts.overloadConnections, await measureInterleaved(ctx, targets, opts.overloadConnections, opts.overloadRuns)]);
    }
    const rows: LoadRow[] = [];
    for (const [c, m] of loads) {
      for (const l of live) {
        rows.push({
          server: l.def.name,
          label: l.def.label,
          connections: c,
          ...m.get(l.def.name)!,
          bodyBytes: l.bodyBytes,
          peakRssBytes: c === opts.connections ? (rssAfterNormal.get(l.def.name) ?? null) : peakRss(l.proc.pid),
        });
      }
    }
    return rows;
  } finally {
    for (const l of live) await l.proc.stop();
  }
}

const perCpuSecond = (x: LoadRow) => x.median.rps / Math.max(0.01, x.serverCpu);

function statusMarkdown(ctx: BenchContext, rows: LoadRow[]): string {
  const { opts } = ctx;
  const out: string[][] = [];
  for (const c of opts.overload ? [opts.connections, opts.overloadConnections] : [opts.connections]) {
    const sim = rows.find((r) => r.server === 'simulator' && r.connections === c);
    for (const r of rows.filter((x) => x.connections === c)) {
      const vs = sim && r.server !== 'simulator';
      out.push([
        r.label + (c === opts.overloadConnections ? ' (overload)' : ''),
        String(c),
        fx(r.median.rps),
        String(r.median.p50),
        String(r.median.p99),
        String(r.median.errors + r.median.timeouts + r.median.non2xx),
        fx(r.serverCpu, 2),
        fx(r.median.loadgenCores, 2),
        fx(r.otherCpu, 2),
        fx(cpuMicrosPerRequest(r)),
        fmtMB(r.peakRssBytes),
        vs ? `${fx(sim.median.rps / r.median.rps, 2)}×` : '—',
        vs ? `${fx(perCpuSecond(sim) / perCpuSecond(r), 2)}×` : '—',
      ]);
    }
  }
  const pinned = ctx.serverCpu !== undefined ? '; server pinned to 1 CPU, autocannon to the other' : '';
  return [
    `### GET /api/BatchStatus/{id}: ${opts.runs} interleaved rounds × ${opts.durationSec} s after ${opts.warmupSec} s warm-up, medians${pinned}`,
    '',
    table(
      [
        'server',
        'conns',
        'req/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'server cores',
        'autocannon cores',
        'other cores',
        'server CPU µs/req',
        'peak RSS',
        'simulator ÷ this (req/s)',
        'simulator ÷ this (req per CPU-s)',
      ],
      out,
    ),
    '',
  ].join('\n');
}

function statusTargets(ctx: BenchContext, rows: LoadRow[]): Target[] {
  const at = (n: ServerName) => rows.find((r) => r.server === n && r.connections === ctx.opts.connections);
  const s = at('simulator');
  if (!s) return [];
  const both = (x: LoadRow) => `${fx(s.median.rps / x.median.rps, 2)}× req/s (${fx(perCpuSecond(s) / perCpuSecond(x), 2)}× per server CPU-second)`;
  const targets: Target[] = [];
  const b = at('bare-fastify');
  const w = at('wiremock');
  if (b) targets.push({ target: 'status req/s ≥ 0.8 × bare Fastify', measured: both(b), met: s.median.rps >= 0.8 * b.median.rps });
  if (w) targets.push({ target: 'status req/s ≥ 3 × WireMock', measured: both(w), met: s.median.rps >= 3 * w.median.rps });
  return targets;
}
