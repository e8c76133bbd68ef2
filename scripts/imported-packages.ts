/**
 * Which npm packages the shipped code loads: every static import, re-export, side-effect import,
 * dynamic import() and require() of a package name in src/ (TypeScript) and dist/src/ (what
 * `npm run build` emitted), Node's built-ins left out. `dependencies` in package.json must be
 * exactly this list (test/unit/scripts/imported-packages.test.ts); everything else is a
 * devDependency.
 *
 *   npx tsx scripts/imported-packages.ts      // prints the list, then what package.json gets wrong
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `… from 'x'`, `import 'x'`, `import('x')`, `require('x')` with a quoted literal (not `'--import', 'tsx'`). */
const SPECIFIER = /(?:\bfrom\s*|^\s*import\s*|(?<![\w$.'-])import\s*\(\s*|(?<![\w$.])require\s*\(\s*)(['"])([^'"\n]+)\1/gm;

/** The package a specifier names (`@scope/name/sub` → `@scope/name`), or undefined for a path or a built-in. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

function filesUnder(dir: string, ext: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Package name → the first file that loads it, over src/ and (when built) dist/src/. */
export function importedPackages(root = ROOT): Map<string, string> {
  const found = new Map<string, string>();
  const files = [...filesUnder(join(root, 'src'), /\.ts$/), ...filesUnder(join(root, 'dist', 'src'), /\.js$/)];
  for (const file of files) {
    // Comments name packages too ("pdf-lib's parser ..."); only code counts.
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    for (const m of code.matchAll(SPECIFIER)) {
      const name = packageOf(m[2]!);
      if (name && !found.has(name)) found.set(name, file.slice(root.length));
    }
  }
  return found;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const used = importedPackages();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const declared = new Set(Object.keys(pkg.dependencies ?? {}));
  for (const [name, file] of [...used].sort()) console.log(`${name}\t${file}`);
  for (const name of declared) if (!used.has(name)) console.log(`not loaded by src/ (move to devDependencies): ${name}`);
  for (const name of used.keys()) if (!declared.has(name)) console.log(`loaded by src/ but not in dependencies: ${name}`);
}
