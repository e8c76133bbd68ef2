/**
 * The Java checker (test/interop/java/SealCheck.java): compiled with javac against Debian's
 * PDFBox and Bouncy Castle jars, run once over many files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { have } from './tools.js';

const JARS = ['pdfbox2', 'fontbox2', 'commons-logging', 'bcprov', 'bcpkix', 'bcutil'].map((j) => `/usr/share/java/${j}.jar`);
const SOURCE = join(import.meta.dirname, 'java', 'SealCheck.java');

/** Why the checker cannot run here (missing JDK or jars), or undefined. */
export function javaCheckerMissing(): string | undefined {
  const tools = ['java', 'javac'].filter((t) => !have(t));
  const jars = JARS.filter((j) => !existsSync(j));
  if (!tools.length && !jars.length) return undefined;
  return `missing ${[...tools, ...jars].join(', ')}: apt-get install -y default-jdk-headless libpdfbox2-java libbcprov-java libbcpkix-java`;
}

/** Compiles the checker into `dir`; returns the class path to run it with. */
export function compileJavaChecker(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('javac', ['-nowarn', '-cp', JARS.join(':'), '-d', dir, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`javac failed: ${r.stdout}${r.stderr}`);
  return [...JARS, dir].join(':');
}

/**
 * Runs the checker over `specs` (KIND:FILE[:DATA]); returns spec → its "OK …" / "FAIL …" line.
 * Throws when the checker does not answer one line per spec.
 */
export function runJavaChecker(classPath: string, caPem: string, specs: string[], extra: string[] = []): Map<string, string> {
  const r = spawnSync('java', ['-cp', classPath, 'SealCheck', '--ca', caPem, ...extra, ...specs], { encoding: 'utf8' });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const lines = out.split('\n').filter((l) => /^(OK|FAIL) /.test(l));
  if (lines.length !== specs.length) throw new Error(`the Java checker answered ${lines.length} lines for ${specs.length} files:\n${out}`);
  return new Map(specs.map((s, i) => [s, lines[i]!]));
}
