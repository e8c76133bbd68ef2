/**
 * Section "upload": one large ZIP (stored random and deflated text entries) streamed to the
 * simulator's upload route, inspected, and listed by BatchStatus; beside it, the same file read and
 * inflated in this process as a reference. Fresh process each run. Target: peak RSS ≤ 200 MB for a
 * 1 GiB upload.
 */
import { createReadStream } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import type { BenchContext } from '../context.js';
import { median } from '../lib/load.js';
import { startAndWait } from '../lib/measure.js';
import { httpRequest, makeTempDir, peakRss, removeTempDir, sampleRss } from '../lib/proc.js';
import { blocks, fmtMB, fx, MiB, type SectionResult, type Target, table } from '../lib/report.js';
import { API_HEADERS, createBatch, type ServerDef } from '../lib/servers.js';
import { makeBenchZip, type ZipInfo } from '../lib/zip.js';

export async function uploadSection(ctx: BenchContext, sim: ServerDef): Promise<SectionResult<UploadResult>> {
  const rows = await measureUpload(ctx, sim);
  return { rows, markdown: uploadMarkdown(ctx, rows), targets: uploadTargets(rows) };
}

export interface UploadRun {
  status: number;
  seconds: number;
  mibPerSec: number;
  inflatedMibPerSec: number;
  vmHwmBytes: number | null;
  sampledPeakTreeRssBytes: number;
  rssSamples: number;
  documentsSeen: number | null;
  answer: string;
}

export interface UploadResult {
  zip: Omit<ZipInfo, 'path'>;
  reference: { seconds: number; mibPerSec: number; what: string };
  runs: UploadRun[];
  medianSeconds: number;
  medianMibPerSec: number;
  medianInflatedMibPerSec: number;
  maxVmHwmBytes: number | null;
}

function streamUpload(url: string, file: string, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { ...API_HEADERS, 'content-type': 'application/octet-stream', 'content-length': String(bytes) },
        timeout: 10 * 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('upload timed out')));
    req.on('error', reject);
    const rs = createReadStream(file, { highWaterMark: MiB });
    rs.on('error', (e) => req.destroy(e));
    rs.pipe(req);
  });
}

/** In-process reference: read the same file from disk and inflate every entry (yauzl + zlib). */
function inflateReference(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('yauzl.open'));
      let total = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e2, rs) => {
          if (e2 || !rs) return reject(e2 ?? new Error('openReadStream'));
          const sink = new Writable({
            write(chunk: Buffer, _e, cb) {
              total += chunk.length;
              cb();
            },
          });
          pipeline(rs, sink).then(() => zip.readEntry(), reject);
        });
      });
      zip.on('end', () => resolve(total));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

async function measureUpload(ctx: BenchContext, sim: ServerDef): Promise<UploadResult> {
  const { opts } = ctx;
  const dir = makeTempDir('bench-zip-');
  try {
    const file = path.join(dir, 'upload.zip');
    ctx.log(`upload: generating a ${opts.uploadMiB} MiB ZIP in ${dir}`);
    const t0 = performance.now();
    const info = await makeBenchZip(file, opts.uploadMiB * MiB);
    ctx.log(
      `  ${(info.bytes / MiB).toFixed(0)} MiB, ${info.entries} entries, ${(info.uncompressedBytes / MiB).toFixed(0)} MiB inflated, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const r0 = performance.now();
    const inflated = await inflateReference(file);
    const refSec = (performance.now() - r0) / 1000;
    if (inflated !== info.uncompressedBytes) throw new Error(`reference inflate got ${inflated} B, expected ${info.uncompressedBytes}`);
    ctx.log(`  reference (read + inflate in-process): ${refSec.toFixed(2)} s, ${(info.bytes / MiB / refSec).toFixed(0)} MiB/s`);

    const runs: UploadRun[] = [];
    for (let i = 0; i < opts.uploadRuns; i++) {
      const { proc, base } = await startAndWait(sim);
      try {
        const id = await createBatch(base, 2);
        await ctx.quiet(`upload ${i + 1}`);
        const sampler = sampleRss(proc.pid, 20);
        const u0 = performance.now();
        const res = await streamUpload(`${base}/api/upload/${id}`, file, info.bytes);
        const seconds = (performance.now() - u0) / 1000;
        const { maxTreeRss, samples } = sampler.stop();
        const hwm = peakRss(proc.pid);
        let documentsSeen: number | null = null;
        if (res.status === 202) {
          // bounded: at most 100 polls, 10 s
          for (let k = 0; k < 100; k++) {
            const s = await httpRequest(`${base}/api/BatchStatus/${id}`, { headers: API_HEADERS });
            if (s.status === 200) {
              const docs = (JSON.parse(s.body) as { documents?: unknown[] }).documents;
              documentsSeen = Array.isArray(docs) ? docs.length : null;
              if (documentsSeen === info.entries) break;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        const run: UploadRun = {
          status: res.status,
          seconds,
          mibPerSec: info.bytes / MiB / seconds,
          inflatedMibPerSec: info.uncompressedBytes / MiB / seconds,
          vmHwmBytes: hwm,
          sampledPeakTreeRssBytes: maxTreeRss,
          rssSamples: samples,
          documentsSeen,
          answer: res.body.slice(0, 300),
        };
        ctx.log(
          `  run ${i + 1}/${opts.uploadRuns}: ${res.status} in ${seconds.toFixed(2)} s (${run.mibPerSec.toFixed(0)} MiB/s), VmHWM ${fmtMB(hwm)}, sampled peak ${fmtMB(maxTreeRss)}, documents ${documentsSeen}`,
        );
        if (res.status !== 202) ctx.log(`  answer: ${res.body.slice(0, 300)}`);
        runs.push(run);
      } finally {
        await proc.stop();
      }
    }
    const ok = runs.filter((r) => r.status === 202);
    const hwms = runs.map((r) => r.vmHwmBytes).filter((x): x is number => x !== null);
    const { path: _p, ...zip } = info;
    return {
      zip,
      reference: {
        seconds: refSec,
        mibPerSec: info.bytes / MiB / refSec,
        what: 'same file read from disk and every entry inflated in one Node process (yauzl + zlib), no HTTP',
      },
      runs,
      medianSeconds: median(ok.map((r) => r.seconds)),
      medianMibPerSec: median(ok.map((r) => r.mibPerSec)),
      medianInflatedMibPerSec: median(ok.map((r) => r.inflatedMibPerSec)),
      maxVmHwmBytes: hwms.length ? Math.max(...hwms) : null,
    };
  } finally {
    removeTempDir(dir);
  }
}

function uploadMarkdown(ctx: BenchContext, upload: UploadResult): string {
  const z = upload.zip;
  return blocks(
    `### Upload + inspect: ${fx(z.bytes / MiB)} MiB ZIP (${z.storedEntries} stored random + ${z.deflatedEntries} deflated text entries, ${fx(z.uncompressedBytes / MiB)} MiB inflated), ${ctx.opts.uploadRuns} run(s), fresh process each`,
    table(
      ['what', 'answer', 'seconds', 'MiB/s (ZIP)', 'MiB/s (inflated)', 'peak RSS (VmHWM)', 'peak RSS (sampled /20 ms)', 'documents listed'],
      [
        ...upload.runs.map((r, i) => [
          `simulator run ${i + 1}`,
          String(r.status),
          fx(r.seconds, 2),
          fx(r.mibPerSec),
          fx(r.inflatedMibPerSec),
          fmtMB(r.vmHwmBytes),
          fmtMB(r.sampledPeakTreeRssBytes),
          String(r.documentsSeen ?? 'n/a'),
        ]),
        [
          'reference: read + inflate in-process, no HTTP',
          '—',
          fx(upload.reference.seconds, 2),
          fx(upload.reference.mibPerSec),
          fx(z.uncompressedBytes / MiB / upload.reference.seconds),
          '—',
          '—',
          '—',
        ],
      ],
    ),
    `Median upload+inspect ${fx(upload.medianMibPerSec)} MiB/s = ${fx(upload.medianMibPerSec / upload.reference.mibPerSec, 2)}× the in-process reference.`,
  );
}

function uploadTargets(upload: UploadResult): Target[] {
  const z = upload.zip;
  const okRuns = upload.runs.every((r) => r.status === 202);
  const scaled = z.bytes >= 1000 * MiB;
  return [
    {
      target: `${scaled ? '1 GiB' : `${fx(z.bytes / MiB)} MiB (quick; target is for 1 GiB)`} upload peak RSS ≤ 200 MB`,
      measured: `${fmtMB(upload.maxVmHwmBytes)} (VmHWM, worst run)${okRuns ? '' : `; answers ${upload.runs.map((r) => r.status).join(',')}`}`,
      met: upload.maxVmHwmBytes !== null && okRuns ? upload.maxVmHwmBytes <= 200e6 : false,
    },
  ];
}
