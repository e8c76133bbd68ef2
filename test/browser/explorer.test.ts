import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf, zipOf } from '../helpers/sim.js';
import { launchChromium } from './chromium.js';

/**
 * The explorer end to end: the real simulator process (built dist/, as `npm start` runs it), its
 * /docs page in headless Chromium, and an integrator's clicks: Authorize with an API key, then
 * CreateBatch, upload a ZIP, AcceptBatch and BatchStatus through "Try it out". Every request the
 * page makes outside the simulator is blocked and counted: the explorer must work offline.
 */

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const API_KEY = 'browser-test-key';

let server: ChildProcess | undefined;
let baseUrl = '';
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
let context: BrowserContext | undefined;
let external: string[] = [];

beforeAll(async () => {
  if (!process.env.SKIP_BUILD) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  baseUrl = await startSimulator();
  browser = await launchChromium(baseUrl);
  context = browser.context;
  external = browser.external;
});

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

/** Starts `node dist/src/cli.js --port 0` and reads its URL from the JSON "listening" log line. */
function startSimulator(): Promise<string> {
  const child = spawn(process.execPath, ['dist/src/cli.js', '--port', '0', '--timing', 'instant'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SEAL_SIM_LOG_LEVEL: 'info' },
  });
  server = child;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the simulator did not log its URL within 60 s. stderr: ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`the simulator exited with ${code}. stderr: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const record = JSON.parse(line) as { url?: string };
        if (record.url) {
          clearTimeout(timer);
          resolve(record.url);
        }
      } catch {
        // not a JSON log line
      }
    });
  });
}

/** The operation block of the explorer for one path. */
const operation = (page: Page, method: string, path: string): Locator =>
  page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });

async function open(page: Page, method: string, path: string): Promise<Locator> {
  const op = operation(page, method, path);
  if (!(await op.locator('.opblock-body').isVisible())) await op.locator('.opblock-summary').first().click();
  await op.locator('.opblock-body').waitFor();
  const tryIt = op.locator('button.try-out__btn:not(.cancel)');
  if (await tryIt.isVisible()) await tryIt.click();
  return op;
}

/** Presses Execute and answers the live response's status code and body text. */
async function execute(op: Locator): Promise<{ status: number; body: string }> {
  await op.locator('button.execute').click();
  const row = op.locator('.live-responses-table .response').first();
  await row.waitFor({ timeout: 30_000 });
  const status = Number((await row.locator('.response-col_status').first().innerText()).trim());
  const body = (await row.locator('.response-col_description .highlight-code code').first().innerText()).trim();
  return { status, body };
}

async function fillParam(op: Locator, name: string, value: string): Promise<void> {
  const input = op.locator(`tr[data-param-name="${name}"] input`).first();
  await input.fill(value);
}

describe('the API explorer at /docs', () => {
  it('lets an integrator authorize once and run the batch flow through "Try it out"', async () => {
    const page = await context!.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });

    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('SIGNIUS SEAL batch API');
    await expect.poll(() => page.locator('.opblock-tag-section').count()).toBeGreaterThanOrEqual(2);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'explorer-overview.png') });

    // The vendor's operations in the vendor's order, and the first one on the first screen: the
    // introduction is folded (one click opens it).
    const vendorPaths = await page.locator('.opblock-tag-section').first().locator('.opblock-summary-path').allInnerTexts();
    expect(vendorPaths.map((p) => p.replace(/\u200b/g, '').trim()).slice(0, 7)).toEqual([
      '/api/CreateBatch/{processId}',
      '/api/upload/{batchId}',
      '/api/AcceptBatch/{batchId}',
      '/api/AcceptBatch',
      '/api/BatchStatus/{batchId}',
      '/api/batchfile/{batchId}',
      '/api/BatchDeleteCache/{batchId}',
    ]);
    const firstOp = await page.locator('.opblock').first().boundingBox();
    expect(firstOp!.y, 'the first operation is on the first screen').toBeLessThan(page.viewportSize()!.height);
    await page.locator('.swagger-ui .info details summary').click();
    await expect.poll(() => page.locator('.swagger-ui .info details').getAttribute('open')).not.toBeNull();

    // Authorize: the API-KEY scheme, entered once.
    await page.locator('button.authorize').first().click();
    const apiKeyForm = page.locator('.modal-ux .auth-container').filter({ hasText: 'API-KEY' });
    await apiKeyForm.locator('input').first().fill(API_KEY);
    await apiKeyForm.locator('button[type=submit]').click();
    await apiKeyForm.locator('button.btn-done').click();

    // 1. CreateBatch
    const create = await open(page, 'post', '/api/CreateBatch/{processId}');
    await fillParam(create, 'processId', '1');
    const created = await execute(create);
    expect(created.status).toBe(201);
    const batch = JSON.parse(created.body) as { id: string; status: string };
    expect(batch).toMatchObject({ id: expect.stringMatching(/^\d+$/), providerSettingsId: '1', status: '0' });
    await expect.poll(() => create.locator('.live-responses-table').innerText()).toContain('"providerSettingsId": "1"');
    await create.locator('.live-responses-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'explorer.png') });

    // 2. upload: a real ZIP through the file picker, sent as raw application/octet-stream.
    const upload = await open(page, 'post', '/api/upload/{batchId}');
    await fillParam(upload, 'batchId', batch.id);
    await upload.locator('input[type=file]').setInputFiles({
      name: 'invoices.zip',
      mimeType: 'application/zip',
      buffer: await zipOf({ 'invoice.pdf': samplePdf('Invoice 1') }),
    });
    // The package's name travels in the Content-Disposition field the operation offers.
    await fillParam(upload, 'Content-Disposition', 'attachment; filename="invoices.zip"');
    const uploaded = await execute(upload);
    expect(uploaded.status, uploaded.body).toBe(202);
    expect(JSON.parse(uploaded.body)).toMatchObject({ batchId: Number(batch.id), isZip: 'true', name: 'invoices.zip' });

    // 3. AcceptBatch (id in the path)
    const accept = await open(page, 'post', '/api/AcceptBatch/{batchId}');
    await fillParam(accept, 'batchId', batch.id);
    const accepted = await execute(accept);
    expect(accepted.status, accepted.body).toBe(200);
    expect(JSON.parse(accepted.body)).toMatchObject({ id: Number(batch.id), status: '1' });

    // 4. BatchStatus until CLOSED
    const status = await open(page, 'get', '/api/BatchStatus/{batchId}');
    await fillParam(status, 'batchId', batch.id);
    let last = '';
    for (let i = 0; i < 20 && last !== 'CLOSED'; i++) {
      const res = await execute(status);
      expect(res.status).toBe(200);
      last = (JSON.parse(res.body) as { status: string }).status;
      if (last !== 'CLOSED') await page.waitForTimeout(250);
    }
    expect(last).toBe('CLOSED');
    await page.screenshot({ path: join(ARTIFACTS, 'explorer-flow.png'), fullPage: false });

    // The key survives a reload (persistAuthorization): entered once.
    await page.reload();
    await page.locator('.swagger-ui .info .title').waitFor();
    await expect.poll(() => page.locator('button.authorize').first().getAttribute('class')).toContain('locked');

    expect(external, 'the explorer fetched something from outside the simulator').toEqual([]);
    expect(consoleErrors.filter((e) => !/favicon/i.test(e))).toEqual([]);
    await page.close();
  });
});
