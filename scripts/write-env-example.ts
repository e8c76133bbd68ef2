/** Writes .env.example from the settings table (npm run env:write); a unit test keeps them in step. */
import { writeFileSync } from 'node:fs';
import { SETTINGS } from '../src/config.js';

export function envExample(): string {
  const lines = ['# Every seal-simulator setting with its default. Flags (--port …) win over these variables.', ''];
  for (const s of SETTINGS) lines.push(`# ${s.help}`, `${s.env}=${s.default}`, '');
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  writeFileSync(new URL('../.env.example', import.meta.url), envExample());
}
