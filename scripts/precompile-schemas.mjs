// `npm run build`, after tsc: writes the code of every request validator the app compiles, as
// ajv's standalone modules, into dist/src/http/schema-code/ (see src/http/schema-compilers.ts),
// so that a fresh server's first requests load a small file instead of ajv and a compile. The app
// is built exactly as it serves, with an in-memory database, a throw-away data directory and the
// placeholder signer, then closed; it never listens.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
const load = (m) => import(pathToFileURL(join(dist, m)).href);
const [{ buildApp }, { defaultConfig }, { SCHEMA_CODE_DIR }] = await Promise.all([load('app.js'), load('config.js'), load('http/schema-compilers.js')]);

rmSync(SCHEMA_CODE_DIR, { recursive: true, force: true }); // none left from schemas that changed
const app = await buildApp(defaultConfig({ signer: 'placeholder', logLevel: 'silent' }), {
  logger: false,
  tickMs: 0,
  eagerSchemas: true,
  writeSchemaCode: true,
});
await app.ready();
await app.close();
