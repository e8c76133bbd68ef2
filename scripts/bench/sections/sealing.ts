/**
 * Section "sealing": sealing throughput of the running simulator for a mix of formats. Three
 * batches accepted at once — PDFs under process 1 (PAdES-B-T), XML under process 3 (XAdES-B-B),
 * text under process 2 (CAdES-B-T) — timed from the first AcceptBatch until all three are CLOSED,
 * after warm-up batches (WARM_UP_DOCS of each kind) have loaded the PKI and the code, and the
 * machine has gone quiet (the simulator's sealing processes started and loaded): the steady state. Beside it, the raw
 * RSA-2048 `crypto.sign` rate of this process in the same run (`npm run bench:signing` breaks the
 * cost down per format). With a baseline build, both builds are measured, alternating run by run.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';
import type { BenchContext } from '../context.js';
import { median } from '../lib/load.js';
import { startAndWait } from '../lib/measure.js';
import { treeCpuSeconds } from '../lib/proc.js';
import { fx, type SectionResult, table } from '../lib/report.js';
import { API_HEADERS, createBatchWithDoc, type ServerDef, type ServerName } from '../lib/servers.js';

export interface SealingRow {
  server: ServerName;
  label: string;
  /** Documents per second sealed for the mix (AcceptBatch to CLOSED), one figure per run. */
  docsPerSecRuns: number[];
  medianDocsPerSec: number;
  /**
   * CPU milliseconds the simulator's process tree (server and sealing processes) spent per
   * document, median over the runs: the mix's cost, which other work on the machine moves far
   * less than the rate.
   */
  medianCpuMsPerDoc: number;
}

export interface SealingResult {
  mix: string;
  /** Raw signature rate of an RSA-2048 key in one thread of the bench process: median of one sample per run. */
  rawSignaturesPerSec: number;
  builds: SealingRow[];
}

const NOTES =
  'AcceptBatch to CLOSED over HTTP (instant timing), both cores; raw = RSA-2048 crypto.sign in one thread of the bench process (median of a 1-s sample before each run). ' +
  'A B-T seal costs two signatures (seal + time-stamp).';

export async function sealingSection(ctx: BenchContext, defs: ServerDef[]): Promise<SectionResult<SealingResult>> {
  const cannot = defs.find((d) => !d.firstClosed);
  if (cannot) throw new Error(`sealing: ${cannot.label} does not seal (leave sealing out of --only)`);
  const perKind = ctx.opts.sealingDocs;
  const runs = new Map(defs.map((d) => [d.name, [] as MixRun[]]));
  for (let i = 0; i < ctx.opts.sealingRuns; i++) {
    for (const def of defs) {
      const run = await sealMix(ctx, def, perKind, `sealing ${def.name} ${i + 1}`);
      ctx.log(`sealing: ${def.label} run ${i + 1}/${ctx.opts.sealingRuns}: ${fx(run.docsPerSec, 1)} documents/s, ${fx(run.cpuMsPerDoc, 1)} CPU ms/document`);
      runs.get(def.name)!.push(run);
    }
  }
  const rows: SealingResult = {
    mix: `${perKind} PDF (PAdES-B-T) + ${perKind} XML (XAdES-B-B) + ${perKind} TXT (CAdES-B-T), three batches at once`,
    // The raw rate moves with the machine (up to a third between minutes on a shared VM): sampled
    // beside every run, the median is the one the ratio divides by.
    rawSignaturesPerSec: median(defs.flatMap((d) => runs.get(d.name)!.map((x) => x.rawSignaturesPerSec))),
    builds: defs.map((d) => {
      const r = runs.get(d.name)!;
      const docsPerSecRuns = r.map((x) => x.docsPerSec);
      return {
        server: d.name,
        label: d.label,
        docsPerSecRuns,
        medianDocsPerSec: median(docsPerSecRuns),
        medianCpuMsPerDoc: median(r.map((x) => x.cpuMsPerDoc)),
      };
    }),
  };
  return { rows, markdown: sealingMarkdown(rows), targets: [] };
}

function sealingMarkdown(r: SealingResult): string {
  return [
    '### Sealing throughput',
    '',
    table(
      ['build', 'mix', 'documents/s (median)', 'runs', 'CPU ms/document', 'raw signatures/s', 'ratio'],
      r.builds.map((b) => [
        b.label,
        r.mix,
        fx(b.medianDocsPerSec, 1),
        b.docsPerSecRuns.map((x) => fx(x, 1)).join(', '),
        fx(b.medianCpuMsPerDoc, 1),
        fx(r.rawSignaturesPerSec, 1),
        `${fx(b.medianDocsPerSec / r.rawSignaturesPerSec, 2)}×`,
      ]),
    ),
    '',
    NOTES,
    '',
  ].join('\n');
}

/** Documents of each kind sealed before the measured run. */
const WARM_UP_DOCS = 30;

interface MixRun {
  docsPerSec: number;
  cpuMsPerDoc: number;
  /** The raw signature rate sampled just before this run. */
  rawSignaturesPerSec: number;
}

/** One run of the mix on a fresh simulator: documents sealed per second, and CPU per document. */
async function sealMix(ctx: BenchContext, def: ServerDef, perKind: number, where: string): Promise<MixRun> {
  const docs = path.join(ctx.repoRoot, 'fixtures', 'documents');
  const kinds = [
    { processId: 1, name: (i: number) => `invoice-${i}.pdf`, bytes: readFileSync(path.join(docs, 'invoice.pdf')) },
    { processId: 3, name: (i: number) => `invoice-${i}.xml`, bytes: readFileSync(path.join(docs, 'invoice.xml')) },
    { processId: 2, name: (i: number) => `notes-${i}.txt`, bytes: readFileSync(path.join(docs, 'notes.txt')) },
  ];
  const { proc, base } = await startAndWait(def);
  const call = async (method: string, p: string) => {
    const res = await fetch(`${base}${p}`, { method, headers: API_HEADERS });
    if (!res.ok) throw new Error(`${method} ${p} answered ${res.status}: ${await res.text()}`);
    return res;
  };
  const prepare = async (count: number) => {
    const ids: string[] = [];
    for (const k of kinds) {
      const zip = new yazl.ZipFile();
      for (let i = 0; i < count; i++) zip.addBuffer(k.bytes, k.name(i));
      zip.end();
      const chunks: Buffer[] = [];
      for await (const c of zip.outputStream) chunks.push(c as Buffer);
      ids.push(await createBatchWithDoc(base, k.processId, undefined, Buffer.concat(chunks)));
    }
    return ids;
  };
  const runToClosed = async (ids: string[]) => {
    const started = performance.now();
    await Promise.all(ids.map((id) => call('POST', `/api/AcceptBatch/${id}`)));
    const deadline = started + 600_000;
    for (const id of ids) {
      for (;;) {
        const s = (await (await call('GET', `/api/BatchStatus/${id}`)).json()) as { status: string };
        if (s.status === 'CLOSED') break;
        if (performance.now() > deadline) throw new Error(`batch ${id} not CLOSED within 600 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return performance.now() - started;
  };
  try {
    // Warm-up: the PKI, the sealing processes, and enough documents of each kind for V8 to have
    // optimised the sealing code (with 2 of each, the first hundred documents measured still ran
    // partly unoptimised: about 15 % more CPU per document than the next hundred).
    await runToClosed(await prepare(WARM_UP_DOCS));
    const ids = await prepare(perKind);
    // After the warm-up the pool goes on starting its remaining sealing processes, each loading the
    // format modules for most of a second: start-up cost (the start-up section's), not the mix's.
    await ctx.quiet(where);
    const rawSignaturesPerSec = rawSignatureRate();
    const cpu0 = treeCpuSeconds(proc.pid) ?? Number.NaN;
    const ms = await runToClosed(ids);
    const cpu1 = treeCpuSeconds(proc.pid) ?? Number.NaN;
    const docs = kinds.length * perKind;
    return { docsPerSec: (docs * 1000) / ms, cpuMsPerDoc: ((cpu1 - cpu0) * 1000) / docs, rawSignaturesPerSec };
  } finally {
    await proc.stop();
  }
}

/** RSA-2048 `crypto.sign` calls per second for one second in this thread. */
function rawSignatureRate(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.alloc(64, 1);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    sign('sha256', data, privateKey);
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}
