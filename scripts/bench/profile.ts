/**
 * CPU profile of the simulator under load, to find out why a benchmark target is missed.
 *
 *   npx tsx scripts/bench/profile.ts status [--stored N] [--seconds S]   # GET /api/BatchStatus/{id}
 *   npx tsx scripts/bench/profile.ts upload [--upload-mib N]             # POST /api/upload/{id}
 *   npx tsx scripts/bench/profile.ts startup                             # spawn to first 200 of /_simulator/health
 *
 * Starts `node --cpu-prof dist/src/cli.js` (pinned to CPU 0, autocannon to CPU 1), drives it,
 * stops it with SIGINT so V8 writes the .cpuprofile, and prints the top self-time functions and
 * the split by package (fastify, pino, better-sqlite3, the simulator's own code, node internals).
 * The profile file is kept in the temp dir it prints (open it in Chrome DevTools > Performance).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { autocannon } from './lib/load.js';
import { cleanupAllSync, freePort, installCleanupHooks, keepTempDir, makeTempDir, spawnTracked, waitForStatus } from './lib/proc.js';
import { API_HEADERS, createBatch, createBatchWithDoc, simEnv } from './lib/servers.js';
import { makeBenchZip, tinyZip } from './lib/zip.js';
import { createReadStream } from 'node:fs';
import http from 'node:http';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function bucketOf(url: string, fn: string): string {
  if (url === '') return fn === '(garbage collector)' ? 'GC' : fn === '(idle)' ? 'idle' : fn === '(program)' ? 'native/program' : `native (${fn})`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes('/dist/src/'))
    return (
      'simulator: ' +
        url
          .slice(url.indexOf('/dist/src/') + 10)
          .split('/')
          .slice(0, -1)
          .join('/') || 'simulator'
    );
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function summarize(file: string, top = 25): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const total = prof.samples.length;
  const self = new Map<string, number>();
  const buckets = new Map<string, number>();
  const counts = new Map<number, number>();
  for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  for (const n of prof.nodes) {
    const hits = counts.get(n.id) ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const short = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\/src\//, 'src/');
    const key = `${functionName || '(anonymous)'}  ${short}${url ? `:${lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + hits);
    const b = bucketOf(url, functionName);
    buckets.set(b, (buckets.get(b) ?? 0) + hits);
  }
  const busy = total - (buckets.get('idle') ?? 0);
  const pct = (x: number) => `${((100 * x) / busy).toFixed(1).padStart(5)}%`;
  const lines = [`samples: ${total} (${busy} not idle); percentages are of non-idle samples`, '', 'by package:'];
  for (const [b, n] of [...buckets].sort((a, b) => b[1] - a[1])) if (b !== 'idle') lines.push(`  ${pct(n)}  ${b}`);
  // inclusive time of the simulator's own functions (a function counted once per sample)
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  for (const [id, hits] of counts) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      if (!cf.url.includes('/dist/src/')) continue;
      const k = `${cf.functionName || '(anonymous)'}  ${cf.url.replace(/^.*\/dist\/src\//, 'src/')}:${cf.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + hits);
    }
  }
  lines.push('', `top ${top} simulator functions by inclusive time (start-up included):`);
  for (const [k, n] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(n)}  ${k}`);
  lines.push('', `top ${top} functions by self time:`);
  for (const [k, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top + 1)) {
    if (k.startsWith('(idle)')) continue;
    lines.push(`  ${pct(n)}  ${k}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  installCleanupHooks();
  const argv = process.argv.slice(2);
  const mode = argv[0] === 'upload' ? 'upload' : argv[0] === 'startup' ? 'startup' : 'status';
  const get = (f: string, d: number) => (argv.includes(f) ? Number(argv[argv.indexOf(f) + 1]) : d);
  const dir = makeTempDir('seal-sim-profile-');
  keepTempDir(dir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawnTracked(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(repoRoot, 'dist/src/cli.js')], {
    cpu: '0',
    env: simEnv(port, makeTempDir('bench-simdata-')),
  });
  const readyMs = await waitForStatus(`${base}/_simulator/health`, { since: proc.startedAt, proc, timeoutMs: 60_000 });
  process.stdout.write(`first 200 of /_simulator/health after ${readyMs.toFixed(0)} ms (with --cpu-prof)\n`);
  if (mode === 'startup') {
    // nothing more: the profile covers start-up only
  } else if (mode === 'status') {
    const stored = get('--stored', 10);
    let id = '';
    const zip = await tinyZip();
    for (let i = 0; i < stored; i++) id = await createBatchWithDoc(base, 2, undefined, zip);
    const r = await autocannon(repoRoot, {
      url: `${base}/api/BatchStatus/${id}`,
      connections: 50,
      durationSec: get('--seconds', 10),
      headers: API_HEADERS,
      cpu: '1',
    });
    process.stdout.write(`status: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms (${stored} stored)\n`);
  } else {
    const zdir = makeTempDir('bench-zip-');
    const info = await makeBenchZip(path.join(zdir, 'u.zip'), get('--upload-mib', 256) * 1024 * 1024);
    const id = await createBatch(base, 2);
    const t0 = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${base}/api/upload/${id}`,
        {
          method: 'POST',
          headers: { ...API_HEADERS, 'content-type': 'application/octet-stream', 'content-length': String(info.bytes) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      createReadStream(info.path).pipe(req);
    });
    const s = (performance.now() - t0) / 1000;
    process.stdout.write(`upload: ${status} in ${s.toFixed(2)} s, ${(info.bytes / 1048576 / s).toFixed(0)} MiB/s\n`);
  }
  proc.child.kill('SIGINT');
  const killer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  await proc.exited;
  clearTimeout(killer);
  const prof = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!prof) throw new Error(`no .cpuprofile in ${dir}; output:\n${proc.output().slice(-2000)}`);
  process.stdout.write(summarize(path.join(dir, prof)) + `\n\nprofile: ${path.join(dir, prof)}\n`);
}

main()
  .then(() => {
    cleanupAllSync();
    process.exit(0);
  })
  .catch((e: unknown) => {
    process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    cleanupAllSync();
    process.exit(1);
  });
