/**
 * What every section's report is made of: a markdown table, number formatting, the targets a
 * section judges, and the machine the figures were measured on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { peerPath } from './peers.js';

/** A bar a section holds its figures to; `met` is null where it cannot be judged. */
export interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}

/** What a section returns: its rows (kept in the JSON results), its markdown and its targets. */
export interface SectionResult<Rows> {
  rows: Rows;
  markdown: string;
  targets: Target[];
}

export const MiB = 1024 * 1024;

export function fmtMB(b: number | null | undefined): string {
  return b === null || b === undefined ? 'n/a' : `${(b / 1e6).toFixed(0)} MB`;
}

export const fx = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

export function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(headers), `| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Paragraphs joined the way the report prints them: each followed by one blank line. */
export const blocks = (...parts: (string | false | null | undefined)[]): string =>
  parts
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .map((p) => `${p}\n`)
    .join('\n');

export function machineInfo(repoRoot: string): Record<string, string> {
  const v = (p: string, root = path.join(repoRoot, 'node_modules')) => {
    try {
      return (JSON.parse(readFileSync(path.join(root, p, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'n/a';
    }
  };
  let java = 'java n/a';
  try {
    // `java -version` writes to stderr
    java = execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' }).split('\n')[0] ?? java;
  } catch {
    /* no java */
  }
  let commit = 'n/a';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  return {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    java: java.trim(),
    autocannon: v('autocannon', peerPath(repoRoot)),
    fastify: v('fastify'),
    wiremock: v('wiremock', peerPath(repoRoot)),
    prism: v('@stoplight/prism-cli', peerPath(repoRoot)),
    commit,
  };
}
