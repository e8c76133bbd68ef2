import { describe, expect, it } from 'vitest';
import { ConfigError, SETTINGS, helpText, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('defaults to a laptop-safe simulator on 127.0.0.1:8080 with ephemeral storage', () => {
    const { kind, config } = loadConfig([], {});
    expect(kind).toBe('run');
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      timing: 'fast',
      db: ':memory:',
      dataDir: null,
      apiKeys: [],
      auth: true,
      statusTable: 'A',
      json: 'vendor',
    });
    expect(config.processesFile).toMatch(/fixtures[\\/]processes\.json$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes a public base URL for the certificates (trailing slash dropped) and refuses what is not one', () => {
    expect(loadConfig([], {}).config.publicUrl).toBeNull();
    expect(loadConfig(['--public-url', 'http://seal-simulator:8080/'], {}).config.publicUrl).toBe('http://seal-simulator:8080');
    expect(loadConfig([], { SEAL_SIM_PUBLIC_URL: 'https://sim.example/base/' }).config.publicUrl).toBe('https://sim.example/base');
    for (const bad of ['seal-simulator:8080', 'ftp://x', 'http://x/?a=1', 'http://u:p@x']) {
      expect(() => loadConfig(['--public-url', bad], {}), bad).toThrow(/--public-url=.*http/);
    }
    expect(loadConfig([], {}).config.pkiKeyAlgorithm).toBe('ECDSA-P256');
    expect(loadConfig(['--pki-key-algorithm', 'RSA-2048'], {}).config.pkiKeyAlgorithm).toBe('RSA-2048');
    expect(loadConfig(['--pki-cache-dir', 'off'], {}).config.pkiCacheDir).toBe('off');
  });

  it('reads environment variables, and flags win over them', () => {
    const env = { PORT: '9000', SEAL_SIM_TIMING: 'realistic', SEAL_SIM_API_KEYS: 'a, b ,,c', SEAL_SIM_AUTH: 'off' };
    const { config } = loadConfig(['--port', '9001', '--status-table=B'], env);
    expect(config.port).toBe(9001);
    expect(config.timing).toBe('realistic');
    expect(config.apiKeys).toEqual(['a', 'b', 'c']);
    expect(config.auth).toBe(false);
    expect(config.statusTable).toBe('B');
  });

  it('reads every limit', () => {
    const { config } = loadConfig([], { SEAL_SIM_MAX_UPLOAD_BYTES: '1000', SEAL_SIM_MAX_ENTRIES: '3', SEAL_SIM_MAX_NAME_LENGTH: '20' });
    expect(config.limits).toMatchObject({ maxUploadBytes: 1000, maxEntries: 3, maxNameLength: 20 });
  });

  it.each([
    [['--port', 'abc'], {}, /--port="abc" must be a whole number/],
    [[], { PORT: '70000' }, /PORT="70000" must be between 0 and 65535/],
    [[], { SEAL_SIM_TIMING: 'slow' }, /SEAL_SIM_TIMING="slow" must be one of: instant, fast, realistic, manual/],
    [[], { SEAL_SIM_AUTH: 'maybe' }, /must be on or off/],
    [['--nope'], {}, /Unknown option '--nope'.*--help/],
    [[], { SEAL_SIM_PKI_CA_CERT: 'ca.pem' }, /must be given together/],
  ])('rejects %j %j with a message naming the setting', (argv, env, message) => {
    expect(() => loadConfig(argv as string[], env)).toThrowError(ConfigError);
    expect(() => loadConfig(argv as string[], env)).toThrowError(message);
  });

  it('recognises --help and --version', () => {
    expect(loadConfig(['--help'], {}).kind).toBe('help');
    expect(loadConfig(['-v'], {}).kind).toBe('version');
  });

  it('lists every setting in --help with its variable and default', () => {
    const help = helpText();
    for (const s of SETTINGS) {
      expect(help).toContain(`--${s.flag}`);
      expect(help).toContain(`env ${s.env}`);
    }
  });
});

describe('.env.example', () => {
  it('lists every setting with its default (regenerate with npm run env:write)', async () => {
    const { readFileSync } = await import('node:fs');
    const { envExample } = await import('../../scripts/write-env-example.js');
    expect(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'), 'run npm run env:write').toBe(envExample());
  });
});

describe('README', () => {
  it('documents every setting', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const s of SETTINGS) expect(readme, `README lacks ${s.env}`).toContain(`| \`${s.env}\` | \`--${s.flag}\` |`);
  });
});
