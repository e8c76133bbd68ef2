/**
 * Writes the committed ZIP fixtures into fixtures/zips/ (run: `npx tsx scripts/make-zip-fixtures.ts`).
 * What each one is and what inspecting it must answer: fixtures/README.md and
 * test/unit/archive/zip-fixtures.ts (the single list both this script and the tests use).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipFixtures } from '../test/unit/archive/zip-fixtures.js';

const MAX_FIXTURE_BYTES = 100 * 1024;
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'zips');

await mkdir(outDir, { recursive: true });
for (const fixture of zipFixtures) {
  const bytes = await fixture.build();
  if (bytes.length >= MAX_FIXTURE_BYTES) throw new Error(`${fixture.file} is ${bytes.length} bytes; fixtures must stay under ${MAX_FIXTURE_BYTES}`);
  await writeFile(join(outDir, fixture.file), bytes);
  console.log(`${fixture.file.padEnd(32)} ${String(bytes.length).padStart(6)} bytes`);
}
