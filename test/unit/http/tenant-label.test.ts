import { describe, expect, it } from 'vitest';
import { tenantOf } from '../../../src/http/auth.js';
import { keyLabel, tenantLabel } from '../../../src/http/tenant-label.js';

describe('tenant labels (what the board shows for a tenant)', () => {
  it("is the key's last four characters, never more than a third of the key", () => {
    expect(keyLabel('sk-test-4f9a1c2eb7c1')).toBe('key …b7c1');
    expect(keyLabel('abcdefgh')).toBe('key …gh');
    expect(keyLabel('abc')).toBe('key …c');
    expect(keyLabel('ab')).toBe('key of 2 chars');
    expect(keyLabel('k')).toBe('key of 1 char');
  });

  it('is learnt when a key first becomes a tenant; an unseen tenant keeps its id', () => {
    const key = `label-test-${Math.random().toString(36).slice(2)}-WXYZ`;
    const tenant = tenantOf(key);
    expect(tenantLabel(tenant)).toBe('key …WXYZ');
    expect(tenantLabel('t-000000000000')).toBe('t-000000000000');
    expect(tenantLabel('public')).toBe('no key (auth off)');
  });
});
