import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docBlock } from '../helpers/doc-blocks.js';
import { cleanEnv, REPO_ROOT } from '../e2e/process.js';
import { ctrlC, startLine } from './harness.js';

/**
 * The README's quick start as a newcomer types it in a clone: `npm start` in one terminal, the
 * curl session in another (the same directory), then the journal check and the TSA example of the
 * README against the same server. The only change to the text is the address: the server listens
 * on a free port (PORT) instead of 8080, which another program on this machine may hold.
 */

const commands = (block: string) =>
  block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split('&&').map((c) => c.trim()));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let work: string;
let server: ReturnType<typeof spawn> | undefined;
let serverOut = '';
let url: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'seal-quick-start-'));
  mkdirSync(join(work, 'tmp'));
  const port = await freePort();
  expect(commands(docBlock('quick-start-server'))).toEqual(['npm ci', 'npm start']);
  server = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    env: cleanEnv({ PORT: String(port), TMPDIR: join(work, 'tmp') }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  server.stderr!.setEncoding('utf8').on('data', (d: string) => (serverOut += d));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no start line within 180 s:\n${serverOut}`)), 180_000);
    server!.stdout!.setEncoding('utf8').on('data', (d: string) => {
      serverOut += d;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(serverOut);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
}, 200_000);

afterAll(() => {
  if (server?.pid && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the README quick start, as written', { timeout: 120_000 }, () => {
  it('the first commands are the ones .ci/run and this test run (npm ci, npm start, npm test)', () => {
    const ci = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    for (const c of commands(docBlock('intro'))) {
      if (c === 'npm start') continue; // run by this test
      expect(ci).toMatch(new RegExp(`^${c.replace(/ /g, ' ')}\\b`, 'm'));
    }
  });

  it('seals fixtures/documents.zip with the id CreateBatch answered, verifies the journal and a time-stamp', async () => {
    const session = join(work, 'session');
    mkdirSync(session);
    symlinkSync(join(REPO_ROOT, 'fixtures'), join(session, 'fixtures'));
    const at = (block: string) => block.replaceAll('http://127.0.0.1:8080', url);
    // Fresh server, but make sure the id is not 1 so a hard-coded id would fail.
    await fetch(`${url}/api/CreateBatch/1`, { method: 'POST', headers: { 'API-KEY': 'someone-else' } }).then((r) => r.json());
    const script = [
      'set -u',
      at(docBlock('quick-start')),
      'echo "--- journal"',
      at(docBlock('journal-verify')),
      'echo "--- tsa"',
      `curl -s ${url}/_simulator/pki/ca.pem -o ca.pem && cp fixtures/documents/invoice.pdf doc.pdf`,
      at(docBlock('tsa-openssl')),
    ].join('\n');
    writeFileSync(join(session, 'session.sh'), script);
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('timeout', ['90', 'bash', 'session.sh'], { cwd: session, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    const [quick, journal, tsa] = result.out.split(/--- journal|--- tsa/);
    expect(result.code, result.out).toBe(0);
    const id = /batch (\d+)/.exec(quick!)?.[1];
    expect(Number(id), quick).toBeGreaterThan(1);
    expect(quick).toMatch(/invoice\.pdf/);
    expect(quick).toMatch(/report\.pdf/);
    expect(quick).toMatch(/"status":"DELETED"/);
    expect(existsSync(join(session, 'signed.zip'))).toBe(true);
    expect(journal).toMatch(/"matched":true/);
    expect(tsa).toMatch(/Verification: OK/);
  });

  it('stops on Ctrl-C and leaves no temporary directory', async () => {
    const closed = new Promise<void>((resolve) => server!.on('close', () => resolve()));
    await ctrlC(server!, startLine(serverOut)!.pid);
    await closed;
    expect(serverOut).toMatch(/"msg":"stopped"/);
    expect(readdirSync(join(work, 'tmp')).filter((n) => n.startsWith('seal-simulator-'))).toEqual([]);
  });
});
