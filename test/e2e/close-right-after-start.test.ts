import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanEnv, logLines, REPO_ROOT, startCli } from './process.js';

/**
 * Closing right after start, while the test PKI is being loaded in the background (in a thread
 * of its own, from the moment the server listens): nothing above info is logged, no stack trace, and no temporary
 * directory is left behind — through `startSimulator()` in a process of its own (its own TMPDIR,
 * so any directory left is seen) and through the CLI stopped with SIGTERM. The key cache is a
 * fresh directory too, so the slowest path (keys generated while closing) is the one tested.
 */

let root: string;
beforeAll(() => {
  assertBuilt();
  root = mkdtempSync(join(tmpdir(), 'seal-close-early-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function freshDirs(name: string): { tmp: string; cache: string } {
  const tmp = join(root, name, 'tmp');
  const cache = join(root, name, 'cache');
  mkdirSync(tmp, { recursive: true });
  mkdirSync(cache, { recursive: true });
  return { tmp, cache };
}

/** Lines a run printed above info, or with a stack, from a JSON log (and any non-JSON text on stderr). */
function complaints(stdout: string, stderr: string): string[] {
  const bad = logLines(stdout)
    .filter((l) => typeof l.level === 'number' && l.level > 30)
    .map((l) => JSON.stringify(l));
  const stack = `${stdout}\n${stderr}`.split('\n').filter((l) => /\bat .+:\d+:\d+\)?$|"stack"|Error:/.test(l));
  return [...bad, ...stack, ...(stderr.trim() ? [`stderr: ${stderr.trim()}`] : [])];
}

describe('closing right after start', { timeout: 120_000 }, () => {
  it('startSimulator().close() at any moment of the PKI warm-up: quiet, and no temp dir left', () => {
    const { tmp, cache } = freshDirs('library');
    // One process, several simulators, each closed at another moment of the warm-up.
    const script = `
      const { startSimulator } = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'src', 'index.js'))});
      for (const ms of [0, 150, 290, 310, 330, 360, 420, 600, 1000]) {
        const sim = await startSimulator({ logLevel: 'info', pkiKeyAlgorithm: ms % 2 ? 'RSA-2048' : 'ECDSA-P256' });
        await new Promise((r) => setTimeout(r, ms));
        const t = performance.now();
        await sim.close();
        process.stderr.write(performance.now() - t > 1000 ? 'close took ' + (performance.now() - t) + ' ms\\n' : '');
      }
      await new Promise((r) => setTimeout(r, 1500)); // anything late would log now
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: cleanEnv({ TMPDIR: tmp, XDG_CACHE_HOME: cache }),
      encoding: 'utf8',
      timeout: 100_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(complaints(r.stdout, r.stderr)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('the CLI stopped with SIGTERM right after its start line, and just after the warm-up began: exit 0, quiet, no temp dir left', async () => {
    for (const [i, delayMs] of [0, 320].entries()) {
      const { tmp, cache } = freshDirs(`cli-${i}`);
      const sim = await startCli(['--port', '0', '--log-level', 'info'], { env: { TMPDIR: tmp, XDG_CACHE_HOME: cache } });
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      const exit = await sim.stop('SIGTERM', 15_000);
      expect(exit.code, sim.stdout() + sim.stderr()).toBe(0);
      expect(complaints(sim.stdout(), sim.stderr())).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    }
  });
});
