/**
 * Builds another commit of the simulator beside this checkout, so one benchmark run can measure
 * the baseline and the current build under the same conditions (same machine, same minute, same
 * load generator). The commit is checked out as a detached git worktree in a temp directory; its
 * node_modules is a hard-linked copy of this checkout's (no download, no second install; the
 * baseline runs on the current dependency versions) and it is compiled with its own
 * `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeTempDir } from './proc.js';

export interface BaselineBuild {
  /** What was asked for, e.g. `main` or `00258f8`. */
  ref: string;
  /** The commit it resolved to (short hash). */
  commit: string;
  /** The built CLI: `node <cli>` starts the baseline simulator. */
  cli: string;
  /** Removes the worktree (and git's record of it). */
  remove(): void;
}

const git = (repoRoot: string, args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

export function buildBaseline(repoRoot: string, ref: string, log: (msg: string) => void): BaselineBuild {
  const commit = git(repoRoot, ['rev-parse', '--short', `${ref}^{commit}`]);
  const tmp = makeTempDir('bench-baseline-');
  const tree = path.join(tmp, 'tree');
  const remove = () => {
    try {
      git(repoRoot, ['worktree', 'remove', '--force', tree]);
    } catch {
      /* already gone; prune below forgets it */
    }
    removeTempDir(tmp);
    git(repoRoot, ['worktree', 'prune']);
  };
  try {
    log(`baseline: ${ref} (${commit}) into ${tree}`);
    git(repoRoot, ['worktree', 'prune']); // forgets worktrees of earlier runs that were killed
    git(repoRoot, ['worktree', 'add', '--detach', tree, commit]);
    const t0 = performance.now();
    execFileSync('cp', ['-al', path.join(repoRoot, 'node_modules'), path.join(tree, 'node_modules')]);
    log(`  node_modules hard-linked in ${((performance.now() - t0) / 1000).toFixed(1)} s; compiling`);
    const t1 = performance.now();
    // The baseline's own `npm run build`: whatever that commit builds (tsc, and the schema code where it has that step).
    execFileSync('npm', ['run', '-s', 'build'], { cwd: tree, stdio: 'inherit' });
    const cli = path.join(tree, 'dist', 'src', 'cli.js');
    if (!existsSync(cli)) throw new Error(`baseline ${ref}: ${cli} was not built`);
    log(`  compiled in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    return { ref, commit, cli, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
