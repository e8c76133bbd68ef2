// `npm start`: builds dist/ only when a source is newer than what was built from it, then runs the
// CLI in this same process (one Node start-up, signals and exit code as `node dist/src/cli.js`).
// Plain JavaScript on purpose: loading TypeScript or tsx to decide that nothing needs building
// would cost more than the start itself.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Inputs of every output: a change here can change any file of dist/. */
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

/** Why `root`'s dist/ must be rebuilt, or null when every output is newer than its source. */
export function staleReason(root = ROOT) {
  const dist = join(root, 'dist');
  const configTime = Math.max(...CONFIGS.map((f) => mtime(join(root, f))));
  for (const file of sources(join(root, 'src'))) {
    const out = join(dist, relative(root, file)).replace(/\.ts$/, '.js');
    const built = mtime(out);
    if (built === 0) return `${relative(root, out)} is missing`;
    if (built < mtime(file)) return `${relative(root, file)} changed`;
    if (built < configTime) return 'the TypeScript configuration changed';
  }
  return null;
}

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const reason = staleReason();
  if (reason) {
    process.stderr.write(`seal-simulator: building (${reason})…\n`);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const build = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
    // As `npm run build`: the request validators' and response serializers' code (src/http/schema-compilers.ts).
    const code = spawnSync(process.execPath, [join(ROOT, 'scripts', 'precompile-schemas.mjs')], { stdio: 'inherit' });
    if (code.status !== 0) process.exit(code.status ?? 1);
  }
  await import(pathToFileURL(join(ROOT, 'dist', 'src', 'cli.js')).href);
}
