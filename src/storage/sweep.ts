import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface SweepResult {
  /** Files removed (partial uploads, unreferenced packages and results, partial results, work files). */
  files: number;
  bytes: number;
}

/**
 * Start-up sweep of the data directory. A crash (or SIGKILL) can leave behind a package whose
 * upload never finished or was never recorded, a package or result whose batch has gone, a result
 * ZIP half written (`.….part`), and files handed to or made by the sealing processes. None of them
 * is referenced by a batch, none will ever be read again, and nothing else removes them.
 *
 * Runs before the server listens and the worker resumes, so nothing is being written. Only the
 * simulator's own folders are looked at (`packages/`, `results/`, `tmp/`); a path a batch still
 * refers to (`referenced`, relative to the data directory) is never removed. Everything in `tmp/`
 * is transient by definition.
 */
export function sweepDataDir(root: string, referenced: ReadonlySet<string>): SweepResult {
  const result: SweepResult = { files: 0, bytes: 0 };
  const sweep = (relativeDir: string, keep: (relative: string) => boolean): void => {
    let names: string[];
    try {
      names = readdirSync(join(root, relativeDir));
    } catch {
      return;
    }
    for (const name of names) {
      const relative = join(relativeDir, name);
      if (keep(relative)) continue;
      const absolute = join(root, relative);
      let size = 0;
      try {
        const st = statSync(absolute);
        if (st.isDirectory()) {
          sweep(relative, () => false);
          rmSync(absolute, { recursive: true, force: true });
          continue;
        }
        size = st.size;
      } catch {
        continue;
      }
      rmSync(absolute, { force: true });
      result.files++;
      result.bytes += size;
    }
  };
  sweep('packages', (r) => referenced.has(r));
  sweep('results', (r) => referenced.has(r));
  sweep('tmp', () => false);
  return result;
}
