import { readFileSync } from 'node:fs';
import { ConfigError } from './domain/errors.js';
import { type ProcessCatalog, parseProcesses } from './domain/processes.js';

/** Reads and checks a processes file (`fixtures/processes.json` format); errors name the file. */
export function loadProcesses(path: string): ProcessCatalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read processes file ${path}: ${(e as Error).message}`);
  }
  return parseProcesses(text, path);
}
