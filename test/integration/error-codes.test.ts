import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultZipLimits } from '../../src/archive/limits.js';
import { loadProfile } from '../../src/contract/vendor-profile.js';
import { ConfigError } from '../../src/domain/errors.js';
import { loadProcesses } from '../../src/domain/processes.js';
import { loadFaultsFile } from '../../src/faults/fault-registry.js';
import { loadKeySettings } from '../../src/key-settings.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';

/** Each refusal answers the code that means exactly it (src/domain/errors.ts). */
describe('error codes mean one thing', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(() => sim.close());

  it('a fault that does not exist is fault-not-found, not batch-not-found', async () => {
    const res = await sim.request({ method: 'DELETE', url: '/_simulator/faults/no-such-fault' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ type: 'urn:seal-simulator:problem:fault-not-found', title: 'Fault not found' });
  });

  it('a body too large for a route that takes no package is body-too-large, not package-too-large', async () => {
    const batchId = await sim.createBatch();
    const res = await sim.request({
      method: 'POST',
      url: `/api/AcceptBatch/${batchId}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ batchId, padding: 'x'.repeat(8192) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ type: 'urn:seal-simulator:problem:body-too-large' });
  });

  it('a package too large is still package-too-large, naming its setting', async () => {
    const small = await startTestSim({ limits: { ...defaultZipLimits, maxUploadBytes: 1024 } });
    try {
      const batchId = await small.createBatch();
      const res = await small.upload(batchId, Buffer.alloc(4096, 1));
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ type: 'urn:seal-simulator:problem:package-too-large', setting: 'SEAL_SIM_MAX_UPLOAD_BYTES' });
    } finally {
      await small.close();
    }
  });
});

describe('every start-up file that cannot be used is a ConfigError naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-startup-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{');
  it.each([
    ['processes file', () => loadProcesses(bad)],
    ['keys file', () => loadKeySettings(bad, (k) => k)],
    ['vendor profile', () => loadProfile(bad)],
    ['faults file', () => loadFaultsFile(bad)],
  ])('%s', (_name, load) => {
    let thrown: unknown;
    try {
      load();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain(bad);
  });
});

describe('the OpenAPI document shows each problem response with an example of its own code', () => {
  it('every problem example is of a code that answers that status', async () => {
    const { readFileSync } = await import('node:fs');
    const { PROBLEMS, problemType } = await import('../../src/http/problem.js');
    const doc = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'openapi', 'openapi.json'), 'utf8'));
    const byType = new Map(Object.entries(PROBLEMS).map(([code, p]) => [problemType(code as keyof typeof PROBLEMS), p.status]));
    let seen = 0;
    for (const [path, item] of Object.entries<Record<string, { responses: Record<string, any> }>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const example = response.content?.['application/problem+json']?.example;
          if (status === 'default') continue; // any injected status: no one code
          if (!response.content?.['application/problem+json']) continue;
          expect(example, `${method} ${path} ${status}`).toBeDefined();
          expect(byType.get(example.type), `${method} ${path} ${status}: ${example.type}`).toBe(Number(status));
          seen++;
        }
      }
    }
    expect(seen).toBeGreaterThan(50);
  });
});
