import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { faultKindSchema } from '../../../src/faults/fault-schema.js';
import { parseFaultSpec } from '../../../src/faults/fault-spec.js';
import { FaultRegistry } from '../../../src/faults/fault-registry.js';
import { FAULT_KINDS, type FaultKind, kindEntry, kindsActing, type ParamSchema } from '../../../src/faults/kinds.js';
import { decodePrefer, PREFER_DOMAIN_ROUTES } from '../../../src/faults/prefer.js';
import type { VendorRoute } from '../../../src/faults/vendor-routes.js';

/**
 * Every consumer of the kind table, driven by the table alone: a kind added to src/faults/kinds.ts
 * is validated, published, decoded from Prefer, stored, fired and labelled with no other edit, and
 * this suite checks it without being told about it.
 */

const T = 't-0123abcd4567';

/** The smallest value a parameter schema admits. */
function sample(schema: ParamSchema): string | number {
  if ('enum' in schema) return schema.enum[0]!;
  if (schema.type === 'string') return 'a.pdf';
  return schema.minimum;
}

/** A definition with only the required parameters, plus one for a kind that needs one of a pair. */
function minimal(kind: FaultKind): Record<string, unknown> {
  const info = kindEntry(kind);
  const spec: Record<string, unknown> = { kind };
  for (const name of info.required) spec[name] = sample(info.params[name]!);
  if (kind === 'latency') spec.ms = 5; // ms, or minMs with maxMs: the check says which
  return spec;
}

/** A route a definition of this kind may name, and where a Prefer of it may be sent. */
const preferRoute = (kind: FaultKind): VendorRoute => {
  const info = kindEntry(kind);
  if (info.level === 'domain') return PREFER_DOMAIN_ROUTES[0]!;
  return (info.routes.find((r) => r !== '*') ?? 'BatchStatus') as VendorRoute;
};

describe('the kind table', () => {
  it('has a level, a stage and routes for every kind, and the stage fits the level', () => {
    const httpStages = new Set(['delay', 'answer', 'body']);
    for (const kind of FAULT_KINDS) {
      const info = kindEntry(kind);
      expect(info.routes.length, kind).toBeGreaterThan(0);
      expect(httpStages.has(info.acts), kind).toBe(info.level === 'http');
      expect(info.point === 'request', kind).toBe(info.level === 'http');
      for (const name of info.required) expect(Object.keys(info.params), kind).toContain(name);
    }
    expect(kindsActing('answer')).toEqual(['status', 'reset', 'empty']);
    expect(kindsActing('file')).toEqual(['seal-fail', 'expired-cert', 'untrusted-cert', 'revoked-cert']);
  });

  it("every kind is in the README's table of faults", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('| kind | effect |'));
    const rows = table.slice(0, table.indexOf('\n\n'));
    for (const kind of FAULT_KINDS) expect(rows, kind).toContain(`\`${kind}\``);
  });

  for (const kind of FAULT_KINDS) {
    describe(kind, () => {
      it('validates a minimal definition and refuses a missing required field', () => {
        const spec = parseFaultSpec(minimal(kind));
        expect(spec).toMatchObject({ kind, route: '*', count: 1 });
        for (const name of kindEntry(kind).required) {
          const { [name]: _gone, ...rest } = minimal(kind);
          expect(() => parseFaultSpec(rest)).toThrow(new RegExp(`fault\\.${name}`));
        }
      });

      it('publishes a schema with exactly the fields validation takes', () => {
        const schema = faultKindSchema(kind) as { properties: Record<string, unknown>; required: string[] };
        const own = Object.keys(kindEntry(kind).params);
        expect(Object.keys(schema.properties)).toEqual(['kind', 'route', 'id', 'tenant', 'batchId', 'count', 'probability', 'seed', ...own]);
        expect(schema.required).toEqual(['kind', ...kindEntry(kind).required]);
        expect(JSON.stringify(schema)).not.toContain('mustBe');
      });

      it('fires from the registry with its own label', () => {
        const r = new FaultRegistry({ seed: 1 });
        const fired = r.fireNow(r.add({ ...minimal(kind), id: 'x' }))!;
        expect(fired.params.kind).toBe(kind);
        expect(fired.label).toMatch(new RegExp(`^${kind}(\\(.*\\))?#x$`));
      });

      it('is decoded from a Prefer header by its own parameter names', () => {
        const params = Object.entries(minimal(kind))
          .filter(([name]) => name !== 'kind')
          .map(([name, value]) => `; ${name === 'fileName' ? 'file' : name.toLowerCase()}=${value}`)
          .join('');
        const route = preferRoute(kind);
        const decoded = decodePrefer(`fault=${kind}${params}`, { route, tenant: T, batchId: 3 });
        expect(decoded).toMatchObject({ ...minimal(kind), tenant: T, batchId: 3, count: 1 });
        expect(() => decodePrefer(`fault=${kind}; nonsense=1`, { route, tenant: T })).toThrow(`fault=${kind} takes no parameter "nonsense"`);
      });
    });
  }
});
