import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyLabel } from '../../src/http/tenant-label.js';
import { tenantOf } from '../../src/http/auth.js';
import { startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

/** SEAL_SIM_KEYS_FILE: per-key label, counterpartyId and processes (src/key-settings.ts). */
let dir: string;
let sim: TestSim;
const ACME = 'acme-ci-secret';
const PLAIN = 'plain-key';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'seal-keys-'));
  const file = join(dir, 'keys.json');
  writeFileSync(file, JSON.stringify({ keys: { [ACME]: { label: 'ACME CI', counterpartyId: 42, processes: [1, 3] }, [PLAIN]: {} } }));
  sim = await startTestSim({ keysFile: file });
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('per-key settings', () => {
  it("accepts the file's keys and refuses any other with 401", async () => {
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: ACME })).statusCode).toBe(201);
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: PLAIN })).statusCode).toBe(201);
    const other = await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'not-listed' });
    expect(other.statusCode).toBe(401);
  });

  it("answers the key's counterpartyId in the upload receipt (1 for a key without one)", async () => {
    for (const [key, expected] of [
      [ACME, '42'],
      [PLAIN, '1'],
    ] as const) {
      const id = await sim.createBatch(1, key);
      const up = await sim.upload(id, await zipOf({ 'a.txt': 'x' }), key);
      expect(up.statusCode).toBe(202);
      expect(up.json().counterpartyId).toBe(expected);
    }
  });

  it('answers 404 process_not_found for a process the key may not use, as for one that does not exist', async () => {
    const refused = await sim.request({ method: 'POST', url: '/api/CreateBatch/2', key: ACME });
    expect(refused.statusCode).toBe(404);
    expect(refused.json()).toMatchObject({ type: 'urn:seal-simulator:problem:process-not-found', processId: 2 });
    expect(refused.json().detail).toMatch(/for this API key: it may use processes 1, 3/);
    expect(refused.body).not.toContain(ACME);
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/3', key: ACME })).statusCode).toBe(201);
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/2', key: PLAIN })).statusCode).toBe(201);
    const tsa = await sim.request({ method: 'POST', url: '/tsa/stamp/2', key: ACME, payload: { hash: Buffer.alloc(32, 1).toString('base64') } });
    expect(tsa.statusCode).toBe(404);
    expect((await sim.request({ method: 'POST', url: '/tsa/stamp/1', key: ACME, payload: { hash: Buffer.alloc(32, 1).toString('base64') } })).statusCode).toBe(
      200,
    );
  });

  it('gives the board the label, never the key', async () => {
    // With a keys file its keys are the accepted keys, so each key reads its own tenant's state.
    const label = async (key: string) => {
      const state = await sim.request({ method: 'GET', url: '/_simulator/state', key });
      expect(state.statusCode).toBe(200);
      expect(state.body).not.toContain(key);
      return (state.json().tenants as { tenant: string; label: string }[]).find((t) => t.tenant === tenantOf(key))?.label;
    };
    expect(await label(ACME)).toBe('ACME CI');
    expect(await label(PLAIN)).toBe(keyLabel(PLAIN)); // no label in the file: the key's tail
    expect(sim.app.sim.keys.labelOf(tenantOf(ACME))).toBe('ACME CI');
  });
});

describe('a keys file that cannot be used stops the start with a message naming the file and entry', () => {
  for (const [name, content, message] of [
    ['not JSON', '{', /cannot read keys file/],
    ['no keys', '{"keys": {}}', /at least one key/],
    ['a bad process list', JSON.stringify({ keys: { k: { processes: [] } } }), /key #1: "processes" must be a non-empty list/],
    ['a bad counterpartyId', JSON.stringify({ keys: { k: { counterpartyId: 'x1' } } }), /key #1: "counterpartyId" must be a positive integer/],
    ['an unknown field', JSON.stringify({ keys: { k: { lable: 'typo' } } }), /unknown field "lable"/],
  ] as const) {
    it(name, async () => {
      const file = join(dir, `bad-${name.replaceAll(' ', '-')}.json`);
      writeFileSync(file, content);
      await expect(startTestSim({ keysFile: file })).rejects.toThrow(message);
    });
  }

  it('never prints the key in the message', async () => {
    const file = join(dir, 'bad-secret.json');
    writeFileSync(file, JSON.stringify({ keys: { 'very-secret-key': { label: 7 } } }));
    const err = await startTestSim({ keysFile: file }).catch((e: Error) => e);
    expect(String(err)).toMatch(/"label" must be/);
    expect(String(err)).not.toContain('very-secret-key');
  });
});
