/**
 * Sealing benchmark: `npx tsx scripts/bench-signing.ts [N] [--threads T] [--ecdsa]`
 *
 * Seals a mixed batch of N files (PDF under process 1 PAdES-B-T, XML under process 3 XAdES-B-B,
 * TXT under process 2 CAdES-B-T detached) through createRealSigner, and prints documents/second
 * for the worker pool next to the single-thread (in-process) rate and the raw `crypto.sign` rate
 * measured in the same run. The PKI is generated once and kept in $TMPDIR/sealsim-bench-pki[-ec].
 *
 * Two pool figures: documents handed over in memory (`processFile`, what the ratio target is
 * judged on: the sealing itself), and documents on disk as the batch worker hands them over
 * (`processStored`: each sealed output is a new file in the work directory). The second also
 * pays for creating a file per output; what that costs on this machine is measured and printed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign as cryptoSign, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { ProcessDef } from '../src/domain/process.js';
import type { InputFile, Signer } from '../src/signing/signer.js';
import { loadOrCreatePki } from '../src/signing/pki.js';
import { createRealSigner } from '../src/signing/real-signer.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 150);
const tIdx = args.indexOf('--threads');
const THREADS = tIdx >= 0 ? Number(args[tIdx + 1]) : availableParallelism();
const ECDSA = args.includes('--ecdsa');
/** Documents sealed before measuring (per thread), so both paths are measured JIT-warm. */
const WARM = 60;

const processes = (JSON.parse(readFileSync(join(ROOT, 'fixtures/processes.json'), 'utf8')) as { processes: ProcessDef[] }).processes;
const proc = (id: number): ProcessDef => processes.find((p) => p.id === id)!;
const pdf = readFileSync(join(ROOT, 'fixtures/documents/invoice.pdf'));
const xml = readFileSync(join(ROOT, 'fixtures/documents/invoice.xml'), 'utf8');

interface Job {
  file: InputFile;
  process: ProcessDef;
  kind: 'pdf' | 'xml' | 'txt';
}

function batch(n: number): Job[] {
  const jobs: Job[] = [];
  for (let i = 0; i < n; i++) {
    switch (i % 3) {
      case 0:
        jobs.push({ kind: 'pdf', process: proc(1), file: { name: `doc-${i}.pdf`, bytes: pdf } });
        break;
      case 1:
        jobs.push({
          kind: 'xml',
          process: proc(3),
          file: { name: `doc-${i}.xml`, bytes: Buffer.from(xml.replace('2026-001', `2026-${String(i).padStart(5, '0')}`)) },
        });
        break;
      default:
        jobs.push({ kind: 'txt', process: proc(2), file: { name: `doc-${i}.txt`, bytes: Buffer.concat([Buffer.from(`document ${i}\n`), randomBytes(2048)]) } });
    }
  }
  return jobs;
}

/** CPU ms used so far by each child process of this one (the sealing processes), from /proc (Linux). */
function childrenCpuMs(): Map<number, number> {
  const out = new Map<number, number>();
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  try {
    for (const task of readdirSync('/proc/self/task')) {
      for (const pid of readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(pid), (Number(fields[11]) + Number(fields[12])) * tick); // utime, stime
      }
    }
  } catch {
    // not Linux: no figure
  }
  return out;
}

/** Wall ms to create (and write 20 KiB to) one new file in the temporary directory. */
function fileCreationMs(): number {
  const dir = mkdtempSync(join(tmpdir(), 'sealsim-bench-create-'));
  const bytes = randomBytes(20 * 1024);
  const t = performance.now();
  for (let i = 0; i < 100; i++) writeFileSync(join(dir, String(i)), bytes);
  const ms = (performance.now() - t) / 100;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

interface Measured {
  ms: number;
  ok: number;
  /** CPU of this (the server) process, and of its children (the sealing processes), in ms. */
  cpuMs: number;
  childCpuMs: number;
}

/** Runs every file at once through `seal` and measures the wall time and the CPU of both sides. */
async function measure<T>(items: T[], seal: (item: T) => Promise<{ success: boolean; fileName: string; detail: string }>): Promise<Measured> {
  const k0 = childrenCpuMs();
  const c0 = process.cpuUsage();
  const t = performance.now();
  const outs = await Promise.all(items.map(seal));
  const ms = performance.now() - t;
  const c = process.cpuUsage(c0);
  let childCpuMs = 0;
  for (const [pid, used] of childrenCpuMs()) childCpuMs += used - (k0.get(pid) ?? 0);
  const bad = outs.filter((o) => !o.success);
  if (bad.length) console.error(`  ${bad.length} failed, e.g. ${bad[0]!.fileName}: ${bad[0]!.detail}`);
  return { ms, ok: outs.length - bad.length, cpuMs: (c.user + c.system) / 1000, childCpuMs };
}

const runBatch = (signer: Signer, jobs: Job[], now: Date): Promise<Measured> => measure(jobs, (j) => signer.processFile(j.file, { process: j.process, now }));

async function runSequential(signer: Signer, jobs: Job[], now: Date): Promise<{ ms: number; byKind: Record<string, number>; cpuMs: number }> {
  const byKind: Record<string, number> = {};
  const c0 = process.cpuUsage();
  const t = performance.now();
  for (const j of jobs) {
    const t0 = performance.now();
    const o = await signer.processFile(j.file, { process: j.process, now });
    if (!o.success) console.error(`  failed ${j.file.name}: ${o.detail}`);
    byKind[j.kind] = (byKind[j.kind] ?? 0) + (performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t, byKind, cpuMs: (c.user + c.system) / 1000 };
}

const fmt = (x: number): string => x.toFixed(1).padStart(8);

/** How many cores this process actually gets right now: `n` threads spin for 1 s. */
async function cpuShare(n: number): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads'); let x = 0; const t = Date.now();
    while (Date.now() - t < 1000) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
    parentPort.postMessage(x);`;
  const c0 = process.cpuUsage();
  const t = performance.now();
  await Promise.all(Array.from({ length: n }, () => new Promise((r) => new Worker(code, { eval: true }).once('message', r))));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / (performance.now() - t);
}

async function main(): Promise<void> {
  const pkiDir = join(tmpdir(), ECDSA ? 'sealsim-bench-pki-ec' : 'sealsim-bench-pki');
  const t0 = performance.now();
  const pki = await loadOrCreatePki({ dir: pkiDir, keyAlgorithm: ECDSA ? 'ECDSA-P256' : 'RSA-2048' });
  console.log(`PKI ${pki.keyAlgorithm} loaded/created in ${(performance.now() - t0).toFixed(0)} ms (${pkiDir})`);
  console.log(
    `CPU: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; availableParallelism ${availableParallelism()}; load avg ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const share = await cpuShare(THREADS);
  console.log(`CPU actually available to this process with ${THREADS} busy threads: ${share.toFixed(2)} cores (other load on the box lowers it)`);
  const now = new Date();
  const jobs = batch(N);

  // 1. raw crypto.sign rate, same key
  const msg = randomBytes(200);
  let k = 0;
  const tS = performance.now();
  while (performance.now() - tS < 1000) {
    cryptoSign('sha256', msg, pki.seal.key);
    k++;
  }
  const signRate = (k * 1000) / (performance.now() - tS);

  // 2. single thread (in-process), after a warm-up of one of each kind
  const single = createRealSigner({ pki, threads: 0 });
  await single.warmup();
  await runSequential(single, batch(WARM), now); // JIT warm-up
  const seq = await runSequential(single, jobs, now);
  await single.close();

  // 3. worker pool
  const pool = createRealSigner({ pki, threads: THREADS });
  const tW = performance.now();
  await pool.warmup();
  const warmMs = performance.now() - tW;
  await runBatch(pool, batch(WARM * Math.max(1, THREADS)), now); // JIT warm-up in each worker
  const par = await runBatch(pool, jobs, now);
  // The same documents on disk, as the batch worker hands them over (inputs written beforehand,
  // outputs left for the result ZIP; neither timed).
  const disk = mkdtempSync(join(tmpdir(), 'sealsim-bench-files-'));
  const stored = jobs.map((j, i) => {
    const path = join(disk, `${i}-${j.file.name}`);
    writeFileSync(path, j.file.bytes);
    return { ...j, stored: { name: j.file.name, path } };
  });
  const onDisk = await measure(stored, (j) => pool.processStored(j.stored, { process: j.process, now }));
  await pool.close();
  rmSync(disk, { recursive: true, force: true });
  const createMs = fileCreationMs();

  const kinds = { pdf: 'PAdES-B-T (process 1)', xml: 'XAdES-B-B (process 3)', txt: 'CAdES-B-T .p7s (process 2)' } as const;
  console.log(
    `\nbatch: ${N} files (${jobs.filter((j) => j.kind === 'pdf').length} PDF, ${jobs.filter((j) => j.kind === 'xml').length} XML, ${jobs.filter((j) => j.kind === 'txt').length} TXT)`,
  );
  console.log(`raw crypto.sign (${pki.keyAlgorithm}, 1 thread): ${fmt(signRate)} signatures/s`);
  console.log(
    `single thread (in-process):         ${fmt((N * 1000) / seq.ms)} documents/s  (${seq.ms.toFixed(0)} ms wall, ${(seq.cpuMs / N).toFixed(1)} ms CPU/doc)`,
  );
  for (const [kind, label] of Object.entries(kinds)) {
    const count = jobs.filter((j) => j.kind === kind).length;
    if (count)
      console.log(`    ${label.padEnd(30)} ${fmt((seq.byKind[kind] ?? 0) / count)} ms/doc ${fmt((count * 1000) / (seq.byKind[kind] || 1))} documents/s`);
  }
  console.log(`worker pool (${THREADS} threads):             ${fmt((par.ok * 1000) / par.ms)} documents/s  (${par.ms.toFixed(0)} ms wall, ${par.ok}/${N} ok)`);
  console.log(
    `    CPU per document: ${((par.cpuMs + par.childCpuMs) / N).toFixed(2)} ms (server process ${(par.cpuMs / N).toFixed(2)}, sealing processes ${(par.childCpuMs / N).toFixed(2)}; ` +
      `raw signatures ${(1000 / signRate).toFixed(2)} ms each); sealing processes busy ${((par.childCpuMs / par.ms / THREADS) * 100).toFixed(0)}% of the wall time`,
  );
  console.log(
    `worker pool, files on disk:         ${fmt((onDisk.ok * 1000) / onDisk.ms)} documents/s  (${onDisk.ms.toFixed(0)} ms wall, ${onDisk.ok}/${N} ok; ${((onDisk.ok * 1000) / onDisk.ms / signRate).toFixed(2)} × the raw rate)`,
  );
  console.log(
    `    CPU per document: ${((onDisk.cpuMs + onDisk.childCpuMs) / N).toFixed(2)} ms (server process ${(onDisk.cpuMs / N).toFixed(2)}, sealing processes ${(onDisk.childCpuMs / N).toFixed(2)}); ` +
      `creating one file here costs ${createMs.toFixed(2)} ms (a new file per sealed output)`,
  );
  console.log(`pool speed-up over single thread:   ${fmt(seq.ms / par.ms)} ×`);
  console.log(
    `pool rate / raw signature rate:     ${((par.ok * 1000) / par.ms / signRate).toFixed(2).padStart(8)} ×  (single thread: ${((N * 1000) / seq.ms / signRate).toFixed(2)} ×)`,
  );
  console.log(`pool start-up (warmup, once):       ${fmt(warmMs)} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
