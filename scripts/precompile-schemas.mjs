// `npm run build`, after tsc: writes the code of every request validator and response serializer
// the app compiles, as standalone modules, into dist/src/http/schema-code/ (see
// src/http/schema-compilers.ts), so that a fresh server's first requests load a small file instead
// of the compilers and a compile. The app is built exactly as it serves, once for each setting that
// changes a vendor schema (the JSON style and the status table), with an in-memory database, a
// throw-away data directory and the placeholder signer, then closed; it never listens.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
const load = (m) => import(pathToFileURL(join(dist, m)).href);
const [{ buildApp }, { defaultConfig }, { SCHEMA_CODE_DIR }] = await Promise.all([load('app.js'), load('config.js'), load('http/schema-compilers.js')]);

rmSync(SCHEMA_CODE_DIR, { recursive: true, force: true }); // none left from schemas that changed
for (const json of ['vendor', 'typed']) {
  for (const statusTable of ['A', 'B']) {
    const config = defaultConfig({ signer: 'placeholder', logLevel: 'silent', json, statusTable });
    const app = await buildApp(config, { logger: false, tickMs: 0, eagerSchemas: true, writeSchemaCode: true });
    await app.ready();
    await app.close();
  }
}
