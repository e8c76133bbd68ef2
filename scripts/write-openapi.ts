/**
 * Writes the committed OpenAPI document: openapi/openapi.json and its YAML twin
 * openapi/openapi.yaml, generated from the route schemas of an app built with the default
 * settings (vendor JSON, status table A). Nothing listens. Run with `npm run openapi:write`;
 * test/integration/openapi.test.ts fails while the committed files differ from what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from '../src/app.js';
import { type Config, defaultConfig } from '../src/config.js';

export const OPENAPI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'openapi');
export const OPENAPI_JSON = join(OPENAPI_DIR, 'openapi.json');
export const OPENAPI_YAML = join(OPENAPI_DIR, 'openapi.yaml');

/**
 * The document for the given settings (the committed one with none). Only the JSON style and the
 * status table shape it; the placeholder signer and silence just keep the build quick and quiet.
 */
export async function generateOpenApi(overrides: Partial<Config> = {}): Promise<{ json: string; yaml: string }> {
  const app = await buildApp(defaultConfig({ signer: 'placeholder', logLevel: 'silent', ...overrides }), { logger: false, tickMs: 0 });
  try {
    await app.ready();
    return await app.openApiDocument();
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const { json, yaml } = await generateOpenApi();
  mkdirSync(OPENAPI_DIR, { recursive: true });
  writeFileSync(OPENAPI_JSON, json);
  writeFileSync(OPENAPI_YAML, yaml);
  process.stdout.write(`wrote ${OPENAPI_JSON} and ${OPENAPI_YAML}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`write-openapi: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
