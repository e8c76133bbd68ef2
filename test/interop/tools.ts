/**
 * The independent verifiers as the interop suites call them: one way to run a tool and read its
 * answer, and the openssl CMS check every suite makes.
 */
import { spawnSync } from 'node:child_process';

/** Runs `cmd`; `out` is stdout and stderr together (the tools print their verdicts to either). */
export function run(cmd: string, args: string[], cwd?: string): { rc: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { rc: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/**
 * `openssl cms -verify` of a DER CMS file against `caFile`: detached when `content` is given,
 * enveloping otherwise (the content is written to `out`, /dev/null unless asked). `extra` goes
 * before `-out` (e.g. -crl_check).
 */
export function opensslCmsVerify(o: { cms: string; caFile: string; content?: string; out?: string; extra?: string[] }): { rc: number; out: string } {
  return run('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    o.cms,
    ...(o.content ? ['-content', o.content] : []),
    '-CAfile',
    o.caFile,
    ...(o.extra ?? []),
    '-out',
    o.out ?? '/dev/null',
  ]);
}
