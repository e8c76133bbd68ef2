import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SETTINGS } from '../../src/config.js';
import { assertBuilt, cleanEnv, REPO_ROOT, runCli, type SimProcess, startCli } from './process.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

/** What the image sets for the container (Dockerfile ENV); everything else keeps its default. */
const IMAGE_ENV: Record<string, string> = {
  HOST: '0.0.0.0',
  PORT: '8080',
  SEAL_SIM_DB: '/data/seal-simulator.sqlite',
  SEAL_SIM_DATA_DIR: '/data',
};
/** Where the compose file differs from the image on purpose: other containers reach the simulator by its service name. */
const COMPOSE_ENV: Record<string, string> = { ...IMAGE_ENV, SEAL_SIM_PUBLIC_URL: 'http://seal-simulator:8080' };

let running: SimProcess | undefined;
beforeAll(() => assertBuilt());
afterEach(async () => {
  await running?.stop('SIGKILL').catch(() => {});
  running = undefined;
});

describe('seal-simulator (the bin)', { timeout: 60_000 }, () => {
  it('is the package bin', () => {
    expect(pkg.bin['seal-simulator']).toBe('./dist/src/cli.js');
    expect(readFileSync(join(REPO_ROOT, 'dist/src/cli.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('--help lists every setting with its flag, environment variable and default, and exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^seal-simulator/);
    expect(stdout).toContain('--version');
    for (const s of SETTINGS) {
      const block = stdout.slice(stdout.indexOf(`--${s.flag} <value>`));
      expect(block, `--${s.flag} in --help`).not.toBe(stdout); // found
      const lines = block.split('\n').slice(0, 3).join('\n');
      expect(lines, `--${s.flag}`).toContain(`env ${s.env}, default ${s.default === '' ? '(none)' : s.default}`);
      expect(lines, `--${s.flag}`).toContain(s.help);
    }
  });

  it('-h is --help', async () => {
    expect((await runCli(['-h'])).stdout).toBe((await runCli(['--help'])).stdout);
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${pkg.version}\n`);
  });

  it('an unknown flag exits 2 with a clear message on stderr and nothing on stdout', async () => {
    const { code, stdout, stderr } = await runCli(['--prot', '8080']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^seal-simulator: /);
    expect(stderr).toContain("'--prot'");
    expect(stderr).toContain('--help');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a positional argument exits 2', async () => {
    const { code, stderr } = await runCli(['start']);
    expect(code).toBe(2);
    expect(stderr).toContain('start');
  });

  it.each([
    [['--timing', 'warp'], '--timing="warp" must be one of: instant, fast, realistic, manual'],
    [['--port', '70000'], '--port="70000" must be between 0 and 65535'],
    [['--port', 'eighty'], '--port="eighty" must be a whole number'],
    [['--auth', 'maybe'], '--auth="maybe" must be on or off'],
  ])('a bad value (%j) exits 2 naming the flag and what is allowed', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });

  it('a bad environment variable exits 2 naming the variable', async () => {
    const { code, stderr } = await runCli([], { env: { SEAL_SIM_TIMING: 'warp' } });
    expect(code).toBe(2);
    expect(stderr).toContain('SEAL_SIM_TIMING="warp" must be one of');
  });

  it('a flag wins over its environment variable', async () => {
    running = await startCli(['--port', '0', '--timing', 'manual'], { env: { SEAL_SIM_TIMING: 'warp', PORT: '1' } });
    expect((running.start.settings as Record<string, unknown>).timing).toBe('manual');
  });

  it('--port 0 picks a free port, prints it in a JSON start line and serves on it; SIGTERM exits 0', async () => {
    running = await startCli(['--port', '0', '--log-level', 'silent']);
    const { start, url } = running;
    // the start line is written whatever the log level
    expect(start).toMatchObject({ level: 30, msg: `listening on ${url}`, address: '127.0.0.1', version: pkg.version, port: expect.any(Number) });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(url).port);
    expect(port).toBeGreaterThan(0);
    expect(start.port).toBe(port);
    const health = await fetch(`${url}/_simulator/health`, { signal: AbortSignal.timeout(5_000) });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const created = await fetch(`${url}/api/CreateBatch/1`, { method: 'POST', headers: { 'API-KEY': 'k' }, signal: AbortSignal.timeout(5_000) });
    expect(created.status).toBe(201);

    const exit = await running.stop('SIGTERM');
    expect(exit).toMatchObject({ code: 0, signal: null });
  });

  it('names the address actually bound: 0.0.0.0 (a container) is every interface, reached here on 127.0.0.1', async () => {
    running = await startCli(['--port', '0', '--host', '0.0.0.0']);
    const { start, url } = running;
    expect(start.address).toBe('0.0.0.0');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(start.msg).toBe(`listening on http://0.0.0.0:${start.port} (every interface; from this machine ${url})`);
    expect((await fetch(`${url}/_simulator/health`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
  });

  it('SIGINT (Ctrl-C) also exits 0', async () => {
    running = await startCli(['--port', '0']);
    const exit = await running.stop('SIGINT');
    expect(exit.code).toBe(0);
    expect(running.stdout()).toContain('"msg":"stopped"');
  });

  it('a port in use fails with exit 1 and says why', async () => {
    running = await startCli(['--port', '0']);
    const port = new URL(running.url).port;
    const { code, stderr } = await runCli(['--port', port]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/seal-simulator: failed to start: .*EADDRINUSE/);
  });

  it.skipIf(!hasScript())('prints a readable line, not JSON, when stdout is a terminal; Ctrl-C there exits 0', async () => {
    // `script` runs the bin on a pseudo-terminal; -e passes its exit code through. `exec` puts the
    // bin in place of the shell `script` starts: otherwise, where that shell is dash (no SHELL in
    // the environment, as in CI), Ctrl-C kills the shell too and `script` reports 130 for it.
    const { spawn } = await import('node:child_process');
    const cmd = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'dist/src/cli.js'))} --port 0 --log-level warn`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv({ TERM: 'dumb', SHELL: '/bin/sh' }) });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no start line: ${out}`)), 15_000);
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /seal-simulator \S+ listening on http:\/\/127\.0\.0\.1:\d+[^\r\n]*/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[0]);
          }
        });
      });
      expect(line).toMatch(/^seal-simulator [\d.]+ listening on http:\/\/127\.0\.0\.1:[1-9]\d* {2}\(timing=fast /);
      expect(out).not.toContain('"level"');
      child.stdin.write('\x03'); // Ctrl-C on the terminal: SIGINT to the simulator
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { environment: Record<string, string>; volumes: string[]; ports: string[]; healthcheck: { test: string[] } }>;
    volumes: Record<string, unknown>;
  };
  const service = compose.services['seal-simulator']!;
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

  it('shows every setting as an environment variable with its default (or the value the image sets)', () => {
    const missing = SETTINGS.filter((s) => !(s.env in service.environment)).map((s) => `      ${s.env}: ${JSON.stringify(COMPOSE_ENV[s.env] ?? s.default)}`);
    expect(missing, `add these to docker-compose.yml:\n${missing.join('\n')}`).toEqual([]);
    for (const s of SETTINGS) {
      expect(service.environment[s.env], s.env).toBe(COMPOSE_ENV[s.env] ?? s.default);
    }
    const known = new Set(SETTINGS.map((s) => s.env as string));
    expect(Object.keys(service.environment).filter((k) => !known.has(k))).toEqual([]);
  });

  it('agrees with the Dockerfile on what the image sets', () => {
    for (const [k, v] of Object.entries(IMAGE_ENV)) expect(dockerfile, k).toMatch(new RegExp(`\\b${k}=${v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\b`));
    expect(dockerfile).toMatch(/^VOLUME \/data$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\}/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
  });

  it("has a named volume for /data, port 8080 on loopback (host port from SEAL_SIM_HOST_PORT) and the image's health check", () => {
    const volume = service.volumes.find((v) => v.endsWith(':/data'))!;
    expect(volume).toBeDefined();
    expect(compose.volumes).toHaveProperty(volume.split(':')[0]!);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own ${VAR:-default} interpolation, kept literally in the file
    expect(service.ports).toEqual(['127.0.0.1:${SEAL_SIM_HOST_PORT:-8080}:8080']);
    expect(service.healthcheck.test).toEqual(['CMD', 'node', 'dist/src/healthcheck.js']);
    expect(dockerfile).toContain('CMD ["node", "dist/src/healthcheck.js"]');
  });

  describe('its environment, run outside a container', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'seal-compose-env-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is accepted by the simulator as it stands', async () => {
      const env = { ...service.environment, HOST: '127.0.0.1', PORT: '0', SEAL_SIM_DB: join(dir, 'db.sqlite'), SEAL_SIM_DATA_DIR: dir };
      running = await startCli([], { env });
      expect((await fetch(`${running.url}/_simulator/health`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
      expect((await running.stop('SIGTERM')).code).toBe(0);
    });
  });
});

function hasScript(): boolean {
  try {
    return readFileSync('/usr/bin/script').length > 0;
  } catch {
    return false;
  }
}
