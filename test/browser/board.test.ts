import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimProcess, startCli } from '../e2e/process.js';
import { samplePdf, zipOf } from '../helpers/sim.js';
import { launchChromium } from './chromium.js';

/**
 * The batch board as a person uses it: a real simulator process in manual timing, the board at
 * /_simulator/ in headless Chromium, a batch advanced with its button until CLOSED.
 */
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const KEY = 'board-test-key';
let sim: SimProcess;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  sim = await startCli(['--port', '0', '--timing', 'manual', '--signer', 'placeholder']);
  browser = await launchChromium(sim.url);
});
afterAll(async () => {
  await browser?.close();
  await sim?.stop();
});

async function acceptedBatch(): Promise<number> {
  const h = { 'API-KEY': KEY };
  const id = Number(((await (await fetch(`${sim.url}/api/CreateBatch/1`, { method: 'POST', headers: h })).json()) as { id: string }).id);
  await fetch(`${sim.url}/api/upload/${id}`, { method: 'POST', headers: { ...h, 'content-type': 'application/octet-stream' }, body: new Uint8Array(await zipOf({ 'a.pdf': samplePdf() })) });
  await fetch(`${sim.url}/api/AcceptBatch/${id}`, { method: 'POST', headers: h });
  return id;
}

describe('the batch board', () => {
  it('shows a batch live and advances it with its button', async () => {
    const id = await acceptedBatch();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${sim.url}/_simulator/`);
    const row = page.locator(`tr[data-batch="${id}"]`);
    const status = row.locator('[data-status]');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('ACCEPTED');

    for (const next of ['READY', 'IN_PROGRESS', 'FINISHING', 'CLOSED']) {
      await row.getByRole('button', { name: 'Advance' }).click();
      await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe(next);
    }
    // The vendor API agrees with what the board shows.
    const vendor = (await (await fetch(`${sim.url}/api/BatchStatus/${id}`, { headers: { 'API-KEY': KEY } })).json()) as { status: string };
    expect(vendor.status).toBe('CLOSED');

    // It updates without a reload: a batch created now appears by itself.
    const another = await acceptedBatch();
    await expect.poll(() => page.locator(`tr[data-batch="${another}"]`).count(), { timeout: 10_000 }).toBe(1);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'board.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(browser.external).toEqual([]);
  });
});
