import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/**
 * The committed document as client-generator users lint it: Redocly CLI with its recommended rules
 * (redocly.yaml) and Spectral with `spectral:oas` (.spectral.yaml), both from devDependencies.
 * Both must report nothing: no error, no warning, no hint.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const DOC = 'openapi/openapi.json';

describe('lint of openapi/openapi.json', () => {
  it('Spectral (spectral:oas): 0 errors, 0 warnings', () => {
    const r = spawnSync(bin('spectral'), ['lint', DOC, '--ruleset', '.spectral.yaml', '--format', 'json', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    const results = JSON.parse(r.stdout || '[]') as { code: string; message: string; path: string[]; severity: number }[];
    expect(results.map((x) => `${x.code} at ${x.path.join('.')}: ${x.message}`)).toEqual([]);
  }, 60_000);

  it('Redocly CLI (recommended): 0 errors, 0 warnings', () => {
    const r = spawnSync(bin('redocly'), ['lint', DOC, '--format', 'json'], { cwd: ROOT, encoding: 'utf8' });
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number; ignored: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('ignores only operation-4xx-response, on open GET routes that take no input at all', () => {
    const ignored = parseYaml(readFileSync(join(ROOT, '.redocly.lint-ignore.yaml'), 'utf8')) as Record<string, Record<string, string[]>>;
    expect(Object.keys(ignored)).toEqual([DOC]);
    expect(Object.keys(ignored[DOC]!)).toEqual(['operation-4xx-response']);
    const doc = JSON.parse(readFileSync(join(ROOT, DOC), 'utf8')) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    for (const pointer of ignored[DOC]!['operation-4xx-response']!) {
      const [, , rawPath, method] = pointer.split('/');
      const path = rawPath!.replaceAll('~1', '/').replaceAll('~0', '~');
      const op = doc.paths[path]?.[method!];
      expect(op, pointer).toBeDefined();
      expect(method).toBe('get');
      expect(op!.parameters ?? [], `${path} takes no parameters`).toEqual([]);
      expect(op!.requestBody, `${path} takes no body`).toBeUndefined();
      expect(op!.security, `${path} needs no credentials`).toEqual([]);
    }
  });
});
