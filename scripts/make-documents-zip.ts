/**
 * Writes fixtures/documents.zip, the package the README's quick start uploads: the two PDFs of
 * fixtures/documents/, flat (no folders), as a user's program would send them. Run it after
 * changing those PDFs (`npm run fixtures:documents-zip`); test/unit/docs/documents-zip.test.ts
 * fails while the committed ZIP differs from them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipOf } from '../test/helpers/zip.js';

export const QUICK_START_DOCUMENTS = ['invoice.pdf', 'report.pdf'] as const;

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function quickStartZip(): Promise<Buffer> {
  return zipOf(Object.fromEntries(QUICK_START_DOCUMENTS.map((name) => [name, readFileSync(join(fixtures, 'documents', name))])));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const zip = await quickStartZip();
  writeFileSync(join(fixtures, 'documents.zip'), zip);
  console.log(`fixtures/documents.zip: ${QUICK_START_DOCUMENTS.join(', ')} (${zip.length} bytes)`);
}
