import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HostileCase } from './case.js';

export const HERE = dirname(fileURLToPath(import.meta.url));

/** Every case in `cases/`, sorted by id. */
export async function loadCases(): Promise<HostileCase[]> {
  const dir = join(HERE, 'cases');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const cases: HostileCase[] = [];
  for (const f of files) cases.push(((await import(pathToFileURL(join(dir, f)).href)) as { default: HostileCase }).default);
  return cases.sort((a, b) => a.id.localeCompare(b.id));
}
