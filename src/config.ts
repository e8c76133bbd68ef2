import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultZipLimits, type ZipLimits, zipLimitSettings } from './archive/limits.js';
import { TIMING_PROFILES } from './domain/timing.js';
import { DEFAULT_PROFILE, loadProfile, type VendorProfile } from './contract/vendor-profile.js';
import { ConfigError } from './domain/errors.js';
import { KEY_ALGORITHMS } from './signing/pki-material.js';

/**
 * The only reader of process.env and the command line. Every setting is one row of SETTINGS: its
 * flag, environment variable, default and help text; --help, the README table and .env.example are
 * all derived from (and tested against) these rows.
 */

/** The installed package's root (holds package.json), whether running from src/ or dist/src/. */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return dir;
  }
}

/** A setting, or a file a setting names, that the simulator cannot start with (one type for all of them). */
export { ConfigError } from './domain/errors.js';

interface Setting {
  /** The field of Config (or of Config.limits, for the `group: 'limits'` rows) this row sets. */
  key: string;
  flag: string;
  env: string;
  default: string;
  /** Shown in --help and the README. */
  help: string;
  /** Parses the raw text; throws a plain message saying what is allowed. Its result type is the field's type. */
  parse: (raw: string) => unknown;
  /** 'limits': the value belongs to Config.limits (the upload limits), not to Config itself. */
  group?: 'limits';
}

const int =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: string) => {
    if (!/^\d+$/.test(raw.trim())) throw new Error(`must be a whole number between ${min} and ${max}`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
    return n;
  };
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string): T => {
    const v = raw.trim();
    const found = values.find((x) => x === v);
    if (found === undefined) throw new Error(`must be one of: ${values.join(', ')}`);
    return found;
  };
const onOff = (raw: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new Error('must be on or off');
};
const text = (raw: string) => raw;
const optionalPath = (raw: string) => (raw.trim() === '' ? null : raw.trim());
const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const MiB = 1024 * 1024;

/** An http(s) base URL without query or fragment, trailing slash dropped; empty: null. */
function publicUrl(raw: string): string | null {
  const v = raw.trim();
  if (v === '') return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error('must be an http:// or https:// URL, e.g. http://seal-simulator:8080');
  }
  if (!['http:', 'https:'].includes(u.protocol) || u.search || u.hash || u.username) {
    throw new Error('must be an http:// or https:// base URL without query, fragment or credentials');
  }
  return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
}

export const SETTINGS = [
  { key: 'port', flag: 'port', env: 'PORT', default: '8080', help: 'TCP port to listen on (0 picks a free port)', parse: int(0, 65535) },
  { key: 'host', flag: 'host', env: 'HOST', default: '127.0.0.1', help: 'Address to listen on (the Docker image uses 0.0.0.0)', parse: text },
  {
    key: 'timing',
    flag: 'timing',
    env: 'SEAL_SIM_TIMING',
    default: 'fast',
    help: 'How fast accepted batches move on: instant | fast (~2 s) | realistic (seconds per step, more per file) | manual (only when told) | recorded (the durations a vendor profile observed)',
    parse: oneOf(TIMING_PROFILES),
  },
  { key: 'db', flag: 'db', env: 'SEAL_SIM_DB', default: ':memory:', help: 'SQLite database file, or :memory: for an ephemeral one', parse: text },
  {
    key: 'dataDir',
    flag: 'data-dir',
    env: 'SEAL_SIM_DATA_DIR',
    default: '',
    help: 'Directory for packages, results and the test PKI (empty: a temporary directory removed on exit)',
    parse: optionalPath,
  },
  {
    key: 'apiKeys',
    flag: 'api-keys',
    env: 'SEAL_SIM_API_KEYS',
    default: '',
    help: 'Comma-separated API keys accepted (empty: any non-empty key); each key is its own tenant',
    parse: list,
  },
  { key: 'auth', flag: 'auth', env: 'SEAL_SIM_AUTH', default: 'on', help: 'Require the API-KEY header: on | off', parse: onOff },
  {
    key: 'statusTable',
    flag: 'status-table',
    env: 'SEAL_SIM_STATUS_TABLE',
    default: 'A',
    help: 'Status codes: A (the vendor page: NEW=0 … DELETED=6) | B (later copy, with UPLOADED=1 … DELETED=7)',
    parse: oneOf(['A', 'B'] as const),
  },
  {
    key: 'json',
    flag: 'json',
    env: 'SEAL_SIM_JSON',
    default: 'vendor',
    help: 'Response JSON types: vendor (ids and booleans as strings, as documented) | typed (numbers and booleans)',
    parse: oneOf(['vendor', 'typed'] as const),
  },
  {
    key: 'processesFile',
    flag: 'processes',
    env: 'SEAL_SIM_PROCESSES',
    default: 'fixtures/processes.json',
    help: 'JSON file defining the processes (relative paths: from the working directory, then the package)',
    parse: text,
  },
  {
    key: 'profileFile',
    flag: 'profile',
    env: 'SEAL_SIM_PROFILE',
    default: '',
    help: 'Vendor profile (JSON from `seal-simulator conformance --write-profile`): status table, JSON types, dates, refusal statuses, error body and timing as observed on the real service; a setting given explicitly wins (empty: the vendor documentation)',
    parse: optionalPath,
  },
  {
    key: 'signer',
    flag: 'signer',
    env: 'SEAL_SIM_SIGNER',
    default: 'real',
    help: 'real (seals with the test PKI) | placeholder (copies files unchanged, NOT signed; fastest)',
    parse: oneOf(['real', 'placeholder'] as const),
  },
  {
    key: 'signerThreads',
    flag: 'signer-threads',
    env: 'SEAL_SIM_SIGNER_THREADS',
    default: '0',
    help: 'Files sealed at once by one tenant, in sealing processes shared fairly by all batches; one more process is kept for the other tenants (0: one per CPU core)',
    parse: int(0, 64),
  },
  {
    key: 'maxSignaturesPerFile',
    flag: 'max-signatures-per-file',
    env: 'SEAL_SIM_MAX_SIGNATURES_PER_FILE',
    default: '50',
    help: 'Validation (process 4): most signatures (PDF signature fields, XML signatures) checked in one file; a file with more fails with a reason',
    parse: int(1, 10_000),
  },
  {
    key: 'fileTimeLimitMs',
    flag: 'file-time-limit-ms',
    env: 'SEAL_SIM_FILE_TIME_LIMIT_MS',
    default: '30000',
    help: 'Longest one file may take to seal or validate; over it the file fails with a reason and the rest of the batch goes on',
    parse: int(100, 3_600_000),
  },
  {
    key: 'fileMemoryLimitMib',
    flag: 'file-memory-limit-mib',
    env: 'SEAL_SIM_FILE_MEMORY_LIMIT_MIB',
    default: '512',
    help: 'Most memory (MiB, resident) the sealing process may use for one file; over it the file fails with a reason',
    parse: int(128, 65_536),
  },
  {
    key: 'fileAttempts',
    flag: 'file-attempts',
    env: 'SEAL_SIM_FILE_ATTEMPTS',
    default: '3',
    help: 'A file that was being processed when the simulator stopped (crashed) this many times fails instead of being tried again',
    parse: int(1, 100),
  },
  {
    key: 'pkiCaCert',
    flag: 'pki-ca-cert',
    env: 'SEAL_SIM_PKI_CA_CERT',
    default: '',
    help: 'PEM file of a CA certificate to issue the seal and TSA certificates from (with --pki-ca-key)',
    parse: optionalPath,
  },
  { key: 'pkiCaKey', flag: 'pki-ca-key', env: 'SEAL_SIM_PKI_CA_KEY', default: '', help: "PEM file of that CA's private key (PKCS#8)", parse: optionalPath },
  {
    key: 'pkiKeyAlgorithm',
    flag: 'pki-key-algorithm',
    env: 'SEAL_SIM_PKI_KEY_ALGORITHM',
    default: 'ECDSA-P256',
    help: 'Key type of a newly made test PKI: ECDSA-P256 (no expiry date in EU validation policies) | RSA-3072 | RSA-2048 (flagged by policies from 2029, earlier by some)',
    parse: oneOf(KEY_ALGORITHMS),
  },
  {
    key: 'pkiCacheDir',
    flag: 'pki-cache-dir',
    env: 'SEAL_SIM_PKI_CACHE_DIR',
    default: '',
    help: 'Where test PKI keys are kept between runs, so a new data directory starts without generating keys (empty: $XDG_CACHE_HOME or ~/.cache, in seal-simulator/; off: no cache)',
    parse: (raw: string) => raw.trim(),
  },
  {
    key: 'publicUrl',
    flag: 'public-url',
    env: 'SEAL_SIM_PUBLIC_URL',
    default: '',
    help: 'Base URL validators reach the simulator at: the CRL, OCSP and CA addresses in the certificates (empty: the address bound, e.g. http://127.0.0.1:8080; a container: http://seal-simulator:8080)',
    parse: publicUrl,
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'SEAL_SIM_LOG_LEVEL',
    default: 'info',
    help: 'Log level: fatal | error | warn | info | debug | trace | silent',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  },
  {
    key: 'adminToken',
    flag: 'admin-token',
    env: 'SEAL_SIM_ADMIN_TOKEN',
    default: '',
    help: 'If set, every /_simulator/ control route and the board (all but health, processes and pki/) require this token: Authorization: Bearer <token>, X-Admin-Token: <token> or ?token=',
    parse: optionalPath,
  },
  {
    key: 'keysFile',
    flag: 'keys-file',
    env: 'SEAL_SIM_KEYS_FILE',
    default: '',
    help: 'JSON file of per-key settings: label (shown on the board), counterpartyId, processes allowed; its keys are accepted keys',
    parse: optionalPath,
  },
  {
    key: 'faultsFile',
    flag: 'faults',
    env: 'SEAL_SIM_FAULTS',
    default: '',
    help: 'JSON file with a list of faults to inject from the start (same shape as POST /_simulator/faults)',
    parse: optionalPath,
  },
  {
    key: 'faultSeed',
    flag: 'fault-seed',
    env: 'SEAL_SIM_FAULT_SEED',
    default: '1',
    help: 'Seed for faults that give none: the same seed repeats the same random choices',
    parse: int(0, 2 ** 32 - 1),
  },
  {
    key: 'journalMaxEntries',
    flag: 'journal-max-entries',
    env: 'SEAL_SIM_JOURNAL_MAX_ENTRIES',
    default: '10000',
    help: 'Most requests kept in the journal (oldest dropped first)',
    parse: int(1),
  },
  {
    key: 'journalMaxBytes',
    flag: 'journal-max-bytes',
    env: 'SEAL_SIM_JOURNAL_MAX_BYTES',
    default: String(8 * MiB),
    help: 'Most bytes the journal may hold (oldest dropped first; default 8 MiB)',
    parse: int(1024),
  },
  {
    key: 'requestTimeoutMs',
    flag: 'request-timeout-ms',
    env: 'SEAL_SIM_REQUEST_TIMEOUT_MS',
    default: '30000',
    help: 'Time a client has to send the headers, and then the body, of a request other than an upload (408 after it)',
    parse: int(100, 3_600_000),
  },
  {
    key: 'uploadTimeoutMs',
    flag: 'upload-timeout-ms',
    env: 'SEAL_SIM_UPLOAD_TIMEOUT_MS',
    default: '600000',
    help: 'Time an upload has to arrive completely (408 after it; the partial file is removed; default 10 min)',
    parse: int(100),
  },
  {
    key: 'uploadMinBytesPerSecond',
    flag: 'upload-min-bytes-per-second',
    env: 'SEAL_SIM_UPLOAD_MIN_BYTES_PER_SECOND',
    default: '16384',
    help: 'Slowest upload accepted, in bytes per second over any 5 s (408 below it; 0: no minimum)',
    parse: int(0),
  },
  {
    key: 'maxUploadsPerKey',
    flag: 'max-uploads-per-key',
    env: 'SEAL_SIM_MAX_UPLOADS_PER_KEY',
    default: '4',
    help: 'Uploads one API key may have in flight at once (429 above it)',
    parse: int(1, 10_000),
  },
  {
    key: 'maxFaultsPerTenant',
    flag: 'max-faults-per-tenant',
    env: 'SEAL_SIM_MAX_FAULTS_PER_TENANT',
    default: '1000',
    help: 'Active faults one tenant may hold (429 above it)',
    parse: int(1, 10_000),
  },
  {
    key: 'maxBatchesPerTenant',
    flag: 'max-batches-per-tenant',
    env: 'SEAL_SIM_MAX_BATCHES_PER_TENANT',
    default: '10000',
    help: 'Batches one tenant may hold, DELETED ones not counted (429 from CreateBatch above it)',
    parse: int(1),
  },
  {
    key: 'maxStoredBytesPerTenant',
    flag: 'max-stored-bytes-per-tenant',
    env: 'SEAL_SIM_MAX_STORED_BYTES_PER_TENANT',
    default: String(4096 * MiB),
    help: 'Bytes of packages and results one tenant may store (507 from upload above it; default 4096 MiB)',
    parse: int(1),
  },
  {
    key: 'maxUploadBytes',
    group: 'limits',
    flag: 'max-upload-bytes',
    env: zipLimitSettings.maxUploadBytes,
    default: String(defaultZipLimits.maxUploadBytes),
    help: `Largest upload body accepted (413 above it; default ${defaultZipLimits.maxUploadBytes / MiB} MiB)`,
    parse: int(1),
  },
  {
    key: 'maxEntries',
    group: 'limits',
    flag: 'max-entries',
    env: zipLimitSettings.maxEntries,
    default: String(defaultZipLimits.maxEntries),
    help: 'Most files in one package',
    parse: int(1),
  },
  {
    key: 'maxEntryBytes',
    group: 'limits',
    flag: 'max-entry-bytes',
    env: zipLimitSettings.maxEntryBytes,
    default: String(defaultZipLimits.maxEntryBytes),
    help: `Largest inflated file in a package (default ${defaultZipLimits.maxEntryBytes / MiB} MiB)`,
    parse: int(1),
  },
  {
    key: 'maxTotalBytes',
    group: 'limits',
    flag: 'max-total-bytes',
    env: zipLimitSettings.maxTotalBytes,
    default: String(defaultZipLimits.maxTotalBytes),
    help: `Largest inflated size of all files together (default ${defaultZipLimits.maxTotalBytes / MiB} MiB)`,
    parse: int(1),
  },
  {
    key: 'maxCompressionRatio',
    group: 'limits',
    flag: 'max-compression-ratio',
    env: zipLimitSettings.maxCompressionRatio,
    default: String(defaultZipLimits.maxCompressionRatio),
    help: 'Highest inflated/compressed ratio of one file (zip-bomb guard)',
    parse: int(1),
  },
  {
    key: 'maxNameLength',
    group: 'limits',
    flag: 'max-name-length',
    env: zipLimitSettings.maxNameLength,
    default: String(defaultZipLimits.maxNameLength),
    help: 'Longest file name in a package, in UTF-8 bytes',
    parse: int(1, 65535),
  },
] as const satisfies readonly Setting[];

type Row = (typeof SETTINGS)[number];
type LimitRow = Extract<Row, { group: 'limits' }>;
type TopRow = Exclude<Row, LimitRow>;
export type SettingKey = Row['key'];

/** The parsed values of some rows, by key: each field has the type its row's parser returns. */
type ValuesOf<R extends Row> = { [X in R as X['key']]: ReturnType<X['parse']> };

/**
 * The settings in force: one field per row of SETTINGS, typed by that row's parser (help texts
 * describe each); the upload-limit rows are grouped under `limits`. A new row is a new field here
 * with nothing else to write.
 */
export type Config = ValuesOf<TopRow> & {
  limits: ValuesOf<LimitRow>;
  /**
   * The vendor profile in force (SEAL_SIM_PROFILE, or the committed default): dates, refusal
   * statuses, error body shape and recorded timings. Its status table, JSON types and timing have
   * already been folded into `statusTable`, `json` and `timing`, where no setting said otherwise.
   */
  profile: VendorProfile;
};

// The limit rows are exactly the upload limits the archive module enforces (a row missing or
// extra, or of another type, fails here).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const limitRowsAreZipLimits: Same<ValuesOf<LimitRow>, ZipLimits> = true;
void limitRowsAreZipLimits;

export interface ParsedCommand {
  kind: 'run' | 'help' | 'version';
  config: Config;
}

const isLimitRow = (r: Row): r is LimitRow => 'group' in r && r.group === 'limits';

/**
 * Parses `rows`, each from the text `rawOf` gives it. Object.fromEntries loses the per-key types,
 * so the result is asserted to be ValuesOf<R>: every entry is `[row.key, row.parse(...)]`, which is
 * exactly that type's definition.
 */
function parseRows<R extends Row>(rows: readonly R[], rawOf: (row: R) => string, fail: (row: R, raw: string, e: Error) => never): ValuesOf<R> {
  return Object.fromEntries(
    rows.map((row) => {
      const raw = rawOf(row);
      try {
        return [row.key, row.parse(raw)];
      } catch (e) {
        return fail(row, raw, e as Error);
      }
    }),
  ) as ValuesOf<R>;
}

/**
 * Reads flags (highest precedence), then environment variables, then defaults. Throws ConfigError
 * naming the flag/variable and what is allowed.
 */
export function loadConfig(argv: readonly string[] = [], env: NodeJS.ProcessEnv = {}): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        ...Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }])),
      },
    });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}. Run with --help to see every setting.`);
  }
  const flags: Record<string, string | boolean | undefined> = parsed.values;
  const explicit = new Set<SettingKey>();
  const rawOf = (s: Row): string => {
    const fromFlag = flags[s.flag];
    const fromEnv = env[s.env];
    if (typeof fromFlag === 'string' || fromEnv !== undefined) explicit.add(s.key);
    return typeof fromFlag === 'string' ? fromFlag : (fromEnv ?? s.default);
  };
  const fail = (s: Row, raw: string, e: Error): never => {
    const source = typeof flags[s.flag] === 'string' ? `--${s.flag}` : env[s.env] !== undefined ? s.env : `default of ${s.env}`;
    throw new ConfigError(`${source}=${JSON.stringify(raw)} ${e.message}`);
  };
  // In table order (the limit rows come last), so the first bad setting is the one reported.
  const values = parseRows(
    SETTINGS.filter((r): r is TopRow => !isLimitRow(r)),
    rawOf,
    fail,
  );
  const limits = parseRows(SETTINGS.filter(isLimitRow), rawOf, fail);
  const config = freezeConfig(values, limits, explicit);
  const kind = parsed.values.help ? 'help' : parsed.values.version ? 'version' : 'run';
  return { kind, config };
}

function freezeConfig(values: ValuesOf<TopRow>, limits: ValuesOf<LimitRow>, explicit: ReadonlySet<SettingKey>): Config {
  const { profileFile } = values;
  let profile: VendorProfile;
  try {
    profile = profileFile ? loadProfile(resolve(profileFile)) : DEFAULT_PROFILE;
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`SEAL_SIM_PROFILE: ${e.message}`);
    throw e;
  }
  // A profile stands in for the defaults of the settings it observed; a setting given explicitly
  // (flag or variable) still wins, so one run can try a single difference against the profile.
  const fromProfile = <K extends SettingKey & keyof ValuesOf<TopRow>>(key: K, observed: ValuesOf<TopRow>[K]): ValuesOf<TopRow>[K] =>
    profileFile && !explicit.has(key) ? observed : values[key];
  const timing = fromProfile('timing', profile.timing ? 'recorded' : values.timing);
  if (timing === 'recorded' && !profile.timing) {
    throw new ConfigError(
      'SEAL_SIM_TIMING=recorded needs a vendor profile with observed timings (SEAL_SIM_PROFILE, written by `seal-simulator conformance --write-profile`)',
    );
  }
  const config: Config = {
    ...values,
    timing,
    statusTable: fromProfile('statusTable', profile.statusTable),
    json: fromProfile('json', profile.json),
    processesFile: resolveProcessesFile(values.processesFile),
    limits: Object.freeze(limits),
    profile,
  };
  if ((config.pkiCaCert === null) !== (config.pkiCaKey === null)) {
    throw new ConfigError('SEAL_SIM_PKI_CA_CERT and SEAL_SIM_PKI_CA_KEY must be given together');
  }
  return Object.freeze(config);
}

/** The default processes file ships inside the package, so it resolves from any working directory. */
function resolveProcessesFile(path: string): string {
  const fromCwd = resolve(path);
  return existsSync(fromCwd) ? fromCwd : join(PACKAGE_ROOT, path);
}

/** Defaults for code and tests: the same values a plain `npm start` gets, with overrides. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return Object.freeze({ ...loadConfig([], {}).config, ...overrides });
}

/** --help text, from the settings table. */
export function helpText(): string {
  const rows = SETTINGS.map((s) => {
    const dflt = s.default === '' ? '(none)' : s.default;
    return `  --${s.flag} <value>\n      ${s.help}\n      env ${s.env}, default ${dflt}`;
  });
  return [
    'seal-simulator — an offline simulator of the SIGNIUS SEAL batch API',
    '',
    'Usage: seal-simulator [options]',
    '       seal-simulator conformance | record | replay ...   (calibrate against a real SEAL service; --help for each)',
    '',
    'Every option can also be set with its environment variable; a flag wins over the variable.',
    '',
    '  -h, --help      show this help',
    '  -v, --version   print the version',
    ...rows,
    '',
  ].join('\n');
}

/** One-line summary of the settings in force, for the start-up log line. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    timing: c.timing,
    db: c.db,
    dataDir: c.dataDir ?? '(temporary)',
    auth: c.auth ? (c.apiKeys.length ? `${c.apiKeys.length} keys` : 'any key') : 'off',
    statusTable: c.statusTable,
    json: c.json,
    ...(c.profileFile ? { profile: c.profile.name } : {}),
    processes: c.processesFile,
    signer: c.signer,
    maxUploadBytes: c.limits.maxUploadBytes,
  };
}
