import { afterEach, describe, expect, it } from 'vitest';
import { tenantOf } from '../../src/http/auth.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';

/**
 * Who may call the control API and on which tenants it acts (src/http/control-access.ts): the
 * admin token guards every control route when set; a call without an API-KEY acts on every tenant
 * only with the token or an explicit scope=all; the open routes stay open.
 */
let sim: TestSim;
afterEach(() => sim?.close());

const TOKEN = 'admin-secret-0123';

const get = (url: string, headers: Record<string, string> = {}, key: string | null = null) => sim.request({ method: 'GET', url, headers, key });

describe('admin token', () => {
  it('guards every control route and accepts Bearer in any case, X-Admin-Token, ?token= and the board cookie', async () => {
    sim = await startTestSim({ adminToken: TOKEN });
    await sim.createBatch(1, 'alpha');
    const refused = await get('/_simulator/batches?scope=all');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="seal-simulator control"');
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json().detail).toMatch(/Authorization: Bearer/);
    expect((await get('/_simulator/batches', { authorization: `Bearer ${TOKEN}x` })).statusCode).toBe(401);
    expect((await get('/_simulator/batches', { authorization: `Bearer ${TOKEN.slice(0, -1)}` })).statusCode).toBe(401);
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${TOKEN}` },
      { authorization: `bearer ${TOKEN}` },
      { authorization: `BEARER  ${TOKEN}` },
      { 'x-admin-token': TOKEN },
      { cookie: `other=1; seal_sim_admin=${TOKEN}` },
    ]) {
      const res = await get('/_simulator/batches', headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(200);
      expect(res.json().batches).toHaveLength(1); // the admin token alone reads every tenant
    }
    expect((await get(`/_simulator/batches?token=${TOKEN}`)).statusCode).toBe(200);
    // Every control route, not only the batch list.
    for (const url of [
      '/_simulator/',
      '/_simulator/state?scope=all',
      '/_simulator/faults?scope=all',
      '/_simulator/journal?scope=all',
      '/_simulator/clock',
      '/_simulator/batches/1',
    ]) {
      expect((await get(url, {}, 'alpha')).statusCode, url).toBe(401);
    }
  });

  it('leaves health, processes and the PKI open', async () => {
    sim = await startTestSim({ adminToken: TOKEN, apiKeys: ['k1'], pkiKeyAlgorithm: 'ECDSA-P256' });
    expect((await get('/_simulator/health')).statusCode).toBe(200);
    expect((await get('/_simulator/processes')).statusCode).toBe(200);
    expect((await get('/_simulator/pki/ca.pem')).statusCode).toBe(200);
  });

  it('moves the board token from the URL to an HttpOnly, SameSite=Strict cookie and redirects', async () => {
    sim = await startTestSim({ adminToken: TOKEN });
    const opened = await get(`/_simulator/?token=${TOKEN}`);
    expect(opened.statusCode).toBe(303);
    expect(opened.headers.location).toBe('/_simulator/');
    const cookie = String(opened.headers['set-cookie']);
    expect(cookie).toMatch(/^seal_sim_admin=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/_simulator/);
    const pair = cookie.split(';')[0]!;
    const page = await get('/_simulator/', { cookie: pair });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(TOKEN);
    // The page's polling URL carries scope=all, never the token.
    expect(page.body).not.toMatch(/p\.set\('token'/);
    expect((await get('/_simulator/state?scope=all', { cookie: pair })).statusCode).toBe(200);
    expect((await get('/_simulator/?token=wrong')).statusCode).toBe(401);
  });
});

describe('tenant scope of a control call', () => {
  it('with SEAL_SIM_API_KEYS and no admin token: no key lists nothing, a configured key its own tenant, scope=all is 401', async () => {
    sim = await startTestSim({ apiKeys: ['k1', 'k2'] });
    await sim.createBatch(1, 'k1');
    const b2 = await sim.createBatch(1, 'k2');
    // Finding: a caller with no key at all could list, read and forget every tenant's batches.
    const keyless = await get('/_simulator/batches');
    expect(keyless.statusCode).toBe(400);
    expect(keyless.json().detail).toMatch(/API-KEY/);
    const all = await get('/_simulator/batches?scope=all');
    expect(all.statusCode).toBe(401);
    expect(all.json().detail).toMatch(/SEAL_SIM_API_KEYS/);
    expect((await get('/_simulator/batches', {}, 'not-configured')).statusCode).toBe(401);
    const own = await get('/_simulator/batches', {}, 'k1');
    expect(own.json().batches.map((b: any) => b.tenant)).toEqual([tenantOf('k1')]);
    expect((await sim.request({ method: 'DELETE', url: `/_simulator/batches/${b2}`, key: null })).statusCode).toBe(400);
    expect((await sim.request({ method: 'DELETE', url: `/_simulator/batches/${b2}?scope=all`, key: null })).statusCode).toBe(401);
    expect((await sim.request({ method: 'DELETE', url: `/_simulator/batches/${b2}`, key: 'k1' })).statusCode).toBe(404);
    expect((await get('/_simulator/journal?scope=all')).statusCode).toBe(401);
    expect((await get('/_simulator/state?scope=all')).statusCode).toBe(401);
    expect((await sim.status(b2, 'k2')).code).toBe(200);
  });

  it('a keyless reset (what an SDK generated from the OpenAPI document sends) resets nobody', async () => {
    sim = await startTestSim();
    const a = await sim.createBatch(1, 'alpha');
    const res = await sim.request({ method: 'POST', url: '/_simulator/reset', key: null });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/scope=all/);
    expect((await sim.status(a, 'alpha')).code).toBe(200);
    expect((await sim.request({ method: 'POST', url: '/_simulator/reset?scope=all', key: null })).json()).toEqual({ tenant: null, batches: 1 });
  });

  it('with the admin token and SEAL_SIM_API_KEYS: the token reads every tenant, a key its own', async () => {
    sim = await startTestSim({ apiKeys: ['k1', 'k2'], adminToken: TOKEN });
    await sim.createBatch(1, 'k1');
    await sim.createBatch(1, 'k2');
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await get('/_simulator/batches', auth)).json().batches).toHaveLength(2);
    expect((await get('/_simulator/batches?scope=all', auth)).json().batches).toHaveLength(2);
    expect((await get('/_simulator/batches', auth, 'k2')).json().batches).toHaveLength(1);
    expect((await get('/_simulator/batches?scope=everything', auth)).statusCode).toBe(400);
  });

  it('a key cannot inject a fault for another tenant', async () => {
    sim = await startTestSim();
    const res = await sim.request({
      method: 'POST',
      url: '/_simulator/faults',
      key: 'alpha',
      payload: { route: 'BatchStatus', kind: 'status', status: 500, tenant: tenantOf('beta') },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/own tenant/);
    const own = await sim.request({ method: 'POST', url: '/_simulator/faults', key: 'alpha', payload: { route: 'BatchStatus', kind: 'status', status: 500 } });
    expect(own.json().faults[0].tenant).toBe(tenantOf('alpha'));
  });
});
