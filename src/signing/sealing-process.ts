/**
 * Starting one sealing process (a child process running worker.ts; the pool that uses them is
 * real-signer.ts). Kept apart from the pool and free of signing imports so that the command line
 * can start the first process before it loads the server's own modules:
 *
 *   forkSealingProcess(memoryMiB): ChildProcess
 *   new EarlySealingProcess(memoryMiB)   // started now, adopted by the pool's first spawn, or discarded
 *
 * A sealing process spends most of its start-up loading the format modules (pdf-lib, xadesjs,
 * pkijs: ~0.4 s on one core of a small box). It starts loading them at once, before it has the PKI
 * (worker.ts), so a process started while the server itself starts is ready soon after the server
 * listens, and the first batch of a fresh simulator does not wait for it.
 *
 * The entry works from compiled JS (dist/src/signing/worker.js) and from the TypeScript source
 * (src/signing/worker.ts, started with `--import tsx`, e.g. under vitest).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = import.meta.url;
const fromTs = here.endsWith('.ts');
const entry = fileURLToPath(new URL(fromTs ? './worker.ts' : './worker.js', here));

/** The parent's node options minus those that only make sense for a main script or are set here. */
function childExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^--(input-type|max-old-space-size)(=|$)/.test(a)) {
      if (!a.includes('=')) i++;
      continue;
    }
    if (['-e', '--eval', '-p', '--print'].includes(a)) {
      i++;
      continue;
    }
    if (/^--(eval|print)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

/** A new sealing process whose V8 heap is capped at the file memory budget. */
export function forkSealingProcess(memoryMiB: number): ChildProcess {
  return fork(entry, [], {
    execArgv: [...childExecArgv(), ...(fromTs ? ['--import', 'tsx'] : []), `--max-old-space-size=${memoryMiB}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
}

/**
 * A sealing process started before the pool exists. The pool's first spawn adopts it (`take`);
 * whoever started it discards it when the pool never does (another signer, a failed start, a
 * close before the PKI loaded). Until then it keeps neither the server's event loop alive nor
 * anything else: it is unref'd, and it ends by itself when this process ends (worker.ts).
 */
export class EarlySealingProcess {
  private child: ChildProcess | undefined;
  private stderr = '';

  constructor(readonly memoryMiB: number) {
    const child = forkSealingProcess(memoryMiB);
    // Whatever it writes before it is adopted (why it died, if it did) is kept for the pool.
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-2000);
    });
    child.on('error', () => {});
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    this.child = child;
  }

  /**
   * The process, for a pool whose files have the same memory budget, if it is still alive; from
   * then on the pool owns it. Returns what it wrote to stderr so far with it.
   */
  take(memoryMiB: number): { child: ChildProcess; stderr: string } | undefined {
    const child = this.child;
    this.child = undefined;
    if (!child) return undefined;
    child.stderr!.removeAllListeners('data');
    if (memoryMiB !== this.memoryMiB || child.exitCode !== null || child.signalCode !== null || !child.connected) {
      child.kill('SIGKILL');
      return undefined;
    }
    return { child, stderr: this.stderr };
  }

  /** Ends the process unless a pool took it. Safe to call more than once. */
  discard(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
