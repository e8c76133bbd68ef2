import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importedPackages, packageOf } from '../../../scripts/imported-packages.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('package.json dependencies', () => {
  it('are exactly the packages src/ (and the built dist/src/) load; the rest are devDependencies', () => {
    const used = [...importedPackages().keys()].sort();
    expect(Object.keys(pkg.dependencies).sort()).toEqual(used);
    for (const name of used) expect(pkg.devDependencies, `${name} is both a dependency and a devDependency`).not.toHaveProperty(name);
  });

  it('names packages the way Node resolves them', () => {
    expect(packageOf('@fastify/swagger')).toBe('@fastify/swagger');
    expect(packageOf('@peculiar/asn1-x509/build/index.js')).toBe('@peculiar/asn1-x509');
    expect(packageOf('pdf-lib/cjs/api')).toBe('pdf-lib');
    expect(packageOf('node:crypto')).toBeUndefined();
    expect(packageOf('fs')).toBeUndefined();
    expect(packageOf('./der.js')).toBeUndefined();
  });
});
