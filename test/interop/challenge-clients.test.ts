/**
 * Clients that send credentials only after a challenge, against a spawned simulator over real
 * HTTP: `curl --anyauth -u user:KEY` and Python's urllib with HTTPBasicAuthHandler time-stamp a
 * digest through POST /tsa/stamp/rfc3161/1 (the route where the vendor takes HTTP Basic), and the
 * replies are checked by `openssl ts -reply -text`. Also the lenient bodies of real clients:
 * `curl -d <id>` (a form) and Python's data=str(id) without a Content-Type on AcceptBatch.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimProcess, startCli } from '../e2e/process.js';
import { zipOf } from '../helpers/zip.js';

const KEY = 'challenge-key';
let sim: SimProcess;
let work: string;
const run = (cmd: string, args: string[], input?: string) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 60_000 });
  return { rc: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'seal-interop-challenge-'));
  // With a key list: an unknown key is refused, so "succeeds" below means the right key got through.
  sim = await startCli(['--port', '0', '--timing', 'instant', '--api-keys', KEY, '--data-dir', join(work, 'data')]);
  writeFileSync(join(work, 'digest.bin'), createHash('sha256').update('challenge-first clients').digest());
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** openssl's reading of a TimeStampResp: "Status: Granted." when it is one. */
function tsReplyStatus(file: string): string {
  const r = run('openssl', ['ts', '-reply', '-in', file, '-text']);
  expect(r.rc, r.err).toBe(0);
  return /Status: (.*)/.exec(r.out)?.[1] ?? r.out;
}

describe('challenge-first clients on the RFC 3161 route', () => {
  it('curl --anyauth -u user:KEY: challenged with Basic, then granted', () => {
    const reply = join(work, 'curl.tsr');
    const r = run('curl', [
      '-sS',
      '--anyauth',
      '-u',
      `user:${KEY}`,
      '-H',
      'Content-Type: application/timestamp-query',
      '--data-binary',
      `@${join(work, 'digest.bin')}`,
      '-o',
      reply,
      '-w',
      '%{http_code} %{num_connects}',
      '-v',
      `${sim.url}/tsa/stamp/rfc3161/1`,
    ]);
    expect(r.rc, r.err).toBe(0);
    expect(r.out.split(' ')[0]).toBe('200');
    // The first request went without credentials and was answered with the challenge.
    expect(r.err).toMatch(/< HTTP\/1\.1 401/);
    expect(r.err).toMatch(/< WWW-Authenticate: Basic realm="SEAL API"/i);
    expect(r.err).toMatch(/> Authorization: Basic /);
    expect(tsReplyStatus(reply)).toBe('Granted.');
  });

  it('curl --anyauth with a wrong key: still 401, with the challenge', () => {
    const r = run('curl', [
      '-sS',
      '--anyauth',
      '-u',
      'user:wrong',
      '--data-binary',
      `@${join(work, 'digest.bin')}`,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-D',
      '-',
      `${sim.url}/tsa/stamp/rfc3161/1`,
    ]);
    expect(r.out).toMatch(/401$/);
    expect(r.out).toMatch(/www-authenticate: Basic realm="SEAL API"/i);
  });

  it('Python urllib with HTTPBasicAuthHandler: challenged, then granted', () => {
    const reply = join(work, 'urllib.tsr');
    const script = `
import sys, urllib.request
url, key, digest_file, out = sys.argv[1:5]
mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
mgr.add_password(None, url, 'user', key)
opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(mgr))
req = urllib.request.Request(url, data=open(digest_file, 'rb').read(), headers={'Content-Type': 'application/timestamp-query'})
with opener.open(req, timeout=30) as res:
    open(out, 'wb').write(res.read())
    print(res.status, res.headers.get('Content-Type'))
`;
    const r = spawnSync('python3', ['-c', script, `${sim.url}/tsa/stamp/rfc3161/1`, KEY, join(work, 'digest.bin'), reply], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('200 application/timestamp-reply');
    expect(tsReplyStatus(reply)).toBe('Granted.');
  });
});

describe('bodies as real clients send them', () => {
  async function uploadedBatch(): Promise<number> {
    const h = { 'API-KEY': KEY };
    const id = Number(((await (await fetch(`${sim.url}/api/CreateBatch/1`, { method: 'POST', headers: h })).json()) as { id: string }).id);
    const up = await fetch(`${sim.url}/api/upload/${id}`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(await zipOf({ 'a.txt': 'x' })),
    });
    expect(up.status).toBe(202);
    return id;
  }

  it('curl -d <id> (a form body) accepts the batch', async () => {
    const id = await uploadedBatch();
    const r = run('curl', ['-sS', '-H', `API-KEY: ${KEY}`, '-d', String(id), '-w', '\n%{http_code}', `${sim.url}/api/AcceptBatch`]);
    const [body, code] = r.out.split('\n');
    expect(code, body).toBe('200');
    expect(JSON.parse(body!)).toMatchObject({ id });
  });

  it('Python without a Content-Type (urllib, as requests data=str(id) sends it) accepts the batch', async () => {
    const id = await uploadedBatch();
    const script = `
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[3].encode(), method='POST', headers={'API-KEY': sys.argv[2]})
req.remove_header('Content-type')
# urllib adds a form Content-Type to any POST body; take it off as requests does for a str body.
class NoType(urllib.request.HTTPHandler):
    def http_request(self, r):
        r = super().http_request(r)
        r.remove_header('Content-type')
        return r
res = urllib.request.build_opener(NoType()).open(req, timeout=30)
print(res.status)
print(res.read().decode())
`;
    const r = spawnSync('python3', ['-c', script, `${sim.url}/api/AcceptBatch`, KEY, String(id)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const [code, body] = r.stdout.split('\n');
    expect(code).toBe('200');
    expect(JSON.parse(body!)).toMatchObject({ id });
  });
});
