import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { type Config, defaultConfig } from '../../src/config.js';
import { ManualClock } from '../../src/domain/clock.js';
import { zipOf } from './zip.js';

export { entryNames, unzip, zipOf } from './zip.js';
import { assertResponseConforms } from './conformance.js';

export const KEY = 'test-key';

export interface TestSim {
  app: FastifyInstance;
  clock: ManualClock;
  /** Sends a request through app.inject with the API-KEY header (unless `key: null`). */
  request(opts: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  createBatch(processId?: number, key?: string): Promise<number>;
  upload(batchId: number, zip: Buffer, key?: string): Promise<LightMyRequestResponse>;
  accept(batchId: number, key?: string): Promise<LightMyRequestResponse>;
  status(batchId: number, key?: string): Promise<{ status: string; body: any; code: number }>;
  /** Create, upload, accept, and let the worker finish. */
  closedBatch(files?: Record<string, string | Buffer>, processId?: number, key?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A simulator built exactly as production builds it, with a manual clock, no background ticker
 * and silent logs: tests move time with `clock.advance()` and never sleep.
 */
export async function startTestSim(overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<TestSim> {
  const clock = new ManualClock('2026-01-01T12:00:00Z');
  const config = defaultConfig({ timing: 'instant', signer: 'placeholder', logLevel: 'silent', ...overrides });
  const app = await buildApp(config, { clock, tickMs: 0, logger: false, ...options });
  await app.ready();

  // Every response is held to the OpenAPI document this app serves: a status, content type or
  // body the document does not declare fails the test that sent the request.
  const request: TestSim['request'] = async ({ key = KEY, headers, ...rest }) => {
    const res = await app.inject({ ...rest, headers: { ...(key === null ? {} : { 'api-key': key }), ...headers } });
    await assertResponseConforms(app, res);
    return res;
  };

  const sim: TestSim = {
    app,
    clock,
    request,
    async createBatch(processId = 1, key = KEY) {
      const res = await request({ method: 'POST', url: `/api/CreateBatch/${processId}`, key });
      if (res.statusCode !== 201) throw new Error(`CreateBatch answered ${res.statusCode}: ${res.body}`);
      return Number(res.json().id);
    },
    upload: (batchId, zip, key = KEY) =>
      request({
        method: 'POST',
        url: `/api/upload/${batchId}`,
        key,
        headers: { 'content-type': 'application/octet-stream' },
        payload: zip,
      }),
    accept: (batchId, key = KEY) => request({ method: 'POST', url: `/api/AcceptBatch/${batchId}`, key }),
    async status(batchId, key = KEY) {
      const res = await request({ method: 'GET', url: `/api/BatchStatus/${batchId}`, key });
      const body = res.json();
      return { status: body.status, body, code: res.statusCode };
    },
    async closedBatch(files = { 'a.pdf': samplePdf() }, processId = 1, key = KEY) {
      const id = await sim.createBatch(processId, key);
      const up = await sim.upload(id, await zipOf(files), key);
      if (up.statusCode !== 202) throw new Error(`upload answered ${up.statusCode}: ${up.body}`);
      const acc = await sim.accept(id, key);
      if (acc.statusCode !== 200) throw new Error(`accept answered ${acc.statusCode}: ${acc.body}`);
      await app.sim.worker.idle();
      return id;
    },
    close: () => app.close(),
  };
  return sim;
}

export { tinyPdf as samplePdf, tinyTxt, tinyXml } from './documents.js';
import { tinyPdf as samplePdf } from './documents.js';
