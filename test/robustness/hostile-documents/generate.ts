/**
 * Writes every hostile case's files to `generated/<id>/`, with a README.txt saying what the case
 * is, which process it goes to and what must happen — so the corpus can be inspected, opened in
 * other tools, or sent by hand. Files over 2 MiB are not written (they are made when a test runs);
 * the README says so.
 *
 *   npm run hostile:generate
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HERE, loadCases } from './all-cases.js';

const MAX_COMMITTED = 2 * 1024 * 1024;

const out = join(HERE, 'generated');
rmSync(out, { recursive: true, force: true });
for (const c of await loadCases()) {
  const dir = join(out, c.id);
  mkdirSync(dir, { recursive: true });
  const lines = [
    c.id,
    '',
    c.why,
    '',
    `Process: ${c.processId}`,
    `Expected end of the attacker's batch: ${c.expect === 'files-fail' ? 'every file failed, with a reason' : 'any end (sealed or failed), without hurting anyone else'}`,
    '',
    'Files:',
  ];
  for (const f of await c.files()) {
    if (f.bytes.length > MAX_COMMITTED) {
      lines.push(`  ${f.name} (${f.bytes.length} bytes; not written here, made by cases/${c.id}.ts when a test runs)`);
      continue;
    }
    writeFileSync(join(dir, f.name), f.bytes);
    lines.push(`  ${f.name} (${f.bytes.length} bytes)`);
  }
  if (c.longFiles) lines.push('', 'The long form (npm run test:hostile) sends larger files: see longFiles in the case.');
  writeFileSync(join(dir, 'README.txt'), `${lines.join('\n')}\n`);
  process.stdout.write(`${c.id}\n`);
}
