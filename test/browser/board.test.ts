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
  await fetch(`${sim.url}/api/upload/${id}`, {
    method: 'POST',
    headers: { ...h, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(await zipOf({ 'a.pdf': samplePdf() })),
  });
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

  it("speaks the API's language: a key a person knows, BatchStatus's status names, file states as its documents say, UTC times", async () => {
    const h = { 'API-KEY': KEY };
    const batchStatus = async (id: number) =>
      (await (await fetch(`${sim.url}/api/BatchStatus/${id}`, { headers: h })).json()) as {
        status: string;
        documents: { fileName: string; signed: string; signingResult_Success: string }[];
      };
    const id = Number(((await (await fetch(`${sim.url}/api/CreateBatch/1`, { method: 'POST', headers: h })).json()) as { id: string }).id);
    const zip = await zipOf({ 'good.pdf': samplePdf('good'), 'bad.pdf': samplePdf('bad') });
    await fetch(`${sim.url}/api/upload/${id}`, { method: 'POST', headers: { ...h, 'content-type': 'application/octet-stream' }, body: new Uint8Array(zip) });

    const page = await browser.context.newPage();
    await page.goto(`${sim.url}/_simulator/`);
    const row = page.locator(`tr[data-batch="${id}"]`);
    const status = row.locator('[data-status]');
    const fileState = (name: string) => row.locator(`[data-file="${name}"] [data-state]`).textContent();

    // Uploaded, not accepted: status table A (the default) reports NEW, and so does the board.
    expect((await batchStatus(id)).status).toBe('NEW');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('NEW');
    expect(await fileState('good.pdf')).toBe('pending');

    // The tenant reads as the key's tail; the key itself is nowhere on the page.
    const section = page.locator('section[data-tenant]', { has: row });
    expect(await section.locator('[data-label]').textContent()).toBe(`key …${KEY.slice(-4)}`);
    expect(await page.content()).not.toContain(KEY);

    // One file fails by an injected fault; the board says what BatchStatus's documents say.
    await fetch(`${sim.url}/api/AcceptBatch/${id}`, { method: 'POST', headers: { ...h, prefer: 'fault=seal-fail; file=bad.pdf' } });
    for (let i = 0; i < 4; i++) await fetch(`${sim.url}/_simulator/batches/${id}/advance`, { method: 'POST', headers: h }); // the key's own tenant (control scope)
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('CLOSED');
    const documents = Object.fromEntries((await batchStatus(id)).documents.map((d) => [d.fileName, d]));
    expect(documents['good.pdf']).toMatchObject({ signed: 'true', signingResult_Success: 'true' });
    expect(documents['bad.pdf']).toMatchObject({ signed: 'false', signingResult_Success: 'false' });
    await expect.poll(() => fileState('good.pdf'), { timeout: 10_000 }).toBe('signed');
    expect(await fileState('bad.pdf')).toBe('failed');
    // …with a legend that says so in the API's terms.
    const legend = (await page.locator('#legend').textContent())!.replace(/\s+/g, ' ');
    expect(legend).toContain('signed signed "true"');
    expect(legend).toContain('failed signingResult_Success "false"');
    expect(legend).toContain('pending not processed yet');
    expect(legend).toContain('status table A');

    // One time format, UTC, everywhere a time is shown: the clock, the journal, "updated".
    const body = (await page.locator('body').textContent())!;
    expect(body).not.toMatch(/\b(AM|PM)\b/);
    expect(body).toContain('times in UTC');
    const stamp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
    const journalTimes = await page.locator('#journal tbody tr td:nth-child(2)').allTextContents();
    expect(journalTimes.length).toBeGreaterThan(0);
    for (const t of journalTimes) expect(t).toMatch(stamp);
    expect(await page.locator('#live').textContent()).toMatch(/^live · updated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(await section.locator('h2 .sub').textContent()).toMatch(/^clock \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · speed/);
    // The journal names tenants the same way.
    const journalTenants = await page.locator('#journal tbody tr td:nth-child(3)').allTextContents();
    expect(journalTenants).toContain(`key …${KEY.slice(-4)}`);

    await page.screenshot({ path: join(ARTIFACTS, 'board-api-terms.png'), fullPage: true });
  });
});
