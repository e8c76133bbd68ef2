import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { tenantOf } from '../../src/http/auth.js';
import { samplePdf, startTestSim, type TestSim, zipOf } from '../helpers/sim.js';

/**
 * One tenant cannot use up what every tenant shares: faults, batches and stored bytes are counted
 * per tenant, each refusal a problem naming the limit and the setting.
 */
let sim: TestSim;
afterEach(() => sim?.close());

const addFault = (key: string | null, spec: Record<string, unknown>, query = '') =>
  sim.request({ method: 'POST', url: `/_simulator/faults${query}`, key, payload: spec });
const faultsOf = async (key: string) => (await sim.request({ method: 'GET', url: '/_simulator/faults', key })).json().faults as any[];

describe('faults per tenant', () => {
  it('a Prefer fault on a call for a batch that does not exist registers nothing', async () => {
    // A fault registered for a batch that does not exist would never fire nor expire: enough of
    // them (AcceptBatch with Prefer: fault=seal-fail on unknown ids) would fill the global limit.
    sim = await startTestSim({ maxFaultsPerTenant: 3 });
    for (let id = 1000; id < 1010; id++) {
      const res = await sim.request({ method: 'POST', url: `/api/AcceptBatch/${id}`, key: 'hostile', headers: { prefer: 'fault=seal-fail' } });
      expect(res.statusCode).toBe(404);
    }
    const res = await sim.request({ method: 'POST', url: '/api/AcceptBatch?batchId=2000', key: 'hostile', headers: { prefer: 'fault=seal-fail' } });
    expect(res.statusCode).toBe(404);
    expect(await faultsOf('hostile')).toEqual([]);
    expect((await addFault('hostile', { route: 'BatchStatus', kind: 'status', status: 503 })).statusCode).toBe(201);
    expect((await addFault(null, { route: 'BatchStatus', kind: 'status', status: 503 }, '?scope=all')).statusCode).toBe(201);
  });

  it('a Prefer fault on a real batch is kept, and dropped when the batch ends', async () => {
    sim = await startTestSim({ timing: 'manual' });
    const id = await sim.createBatch();
    await sim.upload(id, await zipOf({ 'a.pdf': samplePdf() }));
    const res = await sim.request({
      method: 'POST',
      url: `/api/AcceptBatch?batchId=${id}`,
      headers: { prefer: 'fault=stall; status=READY; durationMs=60000' },
    });
    expect(res.statusCode).toBe(200);
    const [fault] = await faultsOf('test-key');
    expect(fault).toMatchObject({ kind: 'stall', batchId: id, tenant: tenantOf('test-key') });
    expect((await sim.request({ method: 'DELETE', url: `/api/BatchDeleteCache/${id}` })).statusCode).toBe(200);
    expect(await faultsOf('test-key')).toEqual([]); // it could never fire any more
  });

  it('caps the active faults of one tenant with 429, naming the setting; other tenants are unaffected', async () => {
    sim = await startTestSim({ maxFaultsPerTenant: 2 });
    const spec = { route: 'batchfile', kind: 'status', status: 503, count: 5 };
    expect((await addFault('hog', spec)).statusCode).toBe(201);
    expect((await addFault('hog', spec)).statusCode).toBe(201);
    const refused = await addFault('hog', spec);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ setting: 'SEAL_SIM_MAX_FAULTS_PER_TENANT', limit: 2, type: 'urn:seal-simulator:problem:too-many-faults' });
    expect(refused.json().detail).toMatch(/DELETE \/_simulator\/faults/);
    const id = await sim.createBatch(1, 'hog');
    const viaPrefer = await sim.request({ method: 'POST', url: `/api/AcceptBatch/${id}`, key: 'hog', headers: { prefer: 'fault=seal-fail' } });
    expect(viaPrefer.statusCode).toBe(429);
    expect((await sim.status(id, 'hog')).status).toBe('NEW'); // refused before the call did anything
    expect((await addFault('other', spec)).statusCode).toBe(201);
  });
});

describe('batches and bytes per tenant', () => {
  it('caps the batches of one tenant with 429 from CreateBatch; a deleted batch frees its place', async () => {
    sim = await startTestSim({ maxBatchesPerTenant: 2 });
    const a = await sim.createBatch(1, 'hog');
    await sim.createBatch(1, 'hog');
    const refused = await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'hog' });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ setting: 'SEAL_SIM_MAX_BATCHES_PER_TENANT', limit: 2, type: 'urn:seal-simulator:problem:too-many-batches' });
    expect(refused.json().detail).toMatch(/BatchDeleteCache/);
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'other' })).statusCode).toBe(201);
    await sim.request({ method: 'DELETE', url: `/api/BatchDeleteCache/${a}`, key: 'hog' });
    expect((await sim.request({ method: 'POST', url: '/api/CreateBatch/1', key: 'hog' })).statusCode).toBe(201);
  });

  it("caps one tenant's stored bytes with 507 from upload, keeping nothing of the refused upload", async () => {
    const zip = await zipOf({ 'a.pdf': samplePdf() });
    sim = await startTestSim({ maxStoredBytesPerTenant: zip.length + 100 });
    const first = await sim.createBatch(1, 'hog');
    expect((await sim.upload(first, zip, 'hog')).statusCode).toBe(202);
    // Re-uploading to the same batch replaces its package: that fits.
    expect((await sim.upload(first, zip, 'hog')).statusCode).toBe(202);
    const second = await sim.createBatch(1, 'hog');
    const refused = await sim.upload(second, zip, 'hog');
    expect(refused.statusCode).toBe(507);
    expect(refused.json()).toMatchObject({ setting: 'SEAL_SIM_MAX_STORED_BYTES_PER_TENANT', type: 'urn:seal-simulator:problem:storage-full' });
    expect(refused.json().detail).toMatch(/Delete batches you no longer need/);
    expect(
      readdirSync(`${sim.app.sim.dataDir}/packages`, { recursive: true }).filter((f) => String(f).endsWith('.zip') || String(f).includes('tmp')),
    ).toHaveLength(1);
    const other = await sim.createBatch(1, 'other');
    expect((await sim.upload(other, zip, 'other')).statusCode).toBe(202);
    await sim.request({ method: 'DELETE', url: `/api/BatchDeleteCache/${first}`, key: 'hog' });
    expect((await sim.upload(second, zip, 'hog')).statusCode).toBe(202);
  });
});
