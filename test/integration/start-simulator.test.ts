import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/index.js';

describe('startSimulator options', () => {
  it('takes limits under `limits`, and refuses a setting hidden there (it would have set the port)', async () => {
    await expect(startSimulator({ limits: { port: 1 } } as never)).rejects.toThrow(/unknown limit "port"/);
    const sim = await startSimulator({ signer: 'placeholder', limits: { maxEntries: 3 } });
    try {
      expect(sim.config.limits.maxEntries).toBe(3);
      expect(sim.port).toBeGreaterThan(0);
      expect(await sim.caPem()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    } finally {
      await sim.close();
    }
  });
});
