import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { QUICK_START_DOCUMENTS } from '../../../scripts/make-documents-zip.js';
import { REPO } from '../../helpers/doc-blocks.js';
import { unzip } from '../../helpers/zip.js';

it('fixtures/documents.zip (the quick start uploads it) holds exactly the PDFs of fixtures/documents/ it names', async () => {
  const entries = await unzip(readFileSync(join(REPO, 'fixtures', 'documents.zip')));
  expect([...entries.keys()]).toEqual([...QUICK_START_DOCUMENTS]);
  for (const name of QUICK_START_DOCUMENTS) {
    expect(entries.get(name)!.equals(readFileSync(join(REPO, 'fixtures', 'documents', name))), name).toBe(true);
  }
});
