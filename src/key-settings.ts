import { readFileSync } from 'node:fs';
import { ConfigError, DomainError } from './domain/errors.js';

/**
 * Per-key settings (SEAL_SIM_KEYS_FILE): what the vendor configures for each API key it issues.
 *
 *     {
 *       "keys": {
 *         "acme-ci-key":   { "label": "ACME CI", "counterpartyId": 42, "processes": [1, 2] },
 *         "acme-dev-key":  { "label": "ACME developer laptop" }
 *       }
 *     }
 *
 * - `label` (optional, at most 80 characters): how the board names the key's tenant instead of
 *   its t-… id. Never the key itself, which the board must not show.
 * - `counterpartyId` (optional, a positive integer or a string of digits; default 1): answered as
 *   `counterpartyId` by the upload, as the vendor answers the caller's configured counterparty.
 * - `processes` (optional, a non-empty list of process ids; default every process): the processes
 *   the key may use. For any other process, CreateBatch and the TSA routes answer **404
 *   process_not_found**, exactly as for a process that does not exist. Why 404 and not 403: the
 *   vendor's processes are server-side configuration per counterparty, and a service that looks a
 *   process up within the caller's configuration finds nothing (the usual ASP.NET pattern, which
 *   also does not reveal which ids exist for others). The detail says the key may not use it.
 *
 * Listing keys here makes them accepted keys: with a keys file (as with SEAL_SIM_API_KEYS) a key
 * that is in neither is refused with 401. Keys are matched exactly; the settings are looked up by
 * the tenant id each request already carries.
 */
export interface KeySetting {
  label: string | null;
  counterpartyId: string;
  /** null: every process. */
  processes: ReadonlySet<number> | null;
}

const DEFAULT_SETTING: KeySetting = Object.freeze({ label: null, counterpartyId: '1', processes: null });
const MAX_LABEL = 80;

export class KeySettings {
  private readonly byTenant: ReadonlyMap<string, KeySetting>;

  constructor(
    private readonly byKey: ReadonlyMap<string, KeySetting>,
    tenantOf: (key: string) => string,
  ) {
    this.byTenant = new Map([...byKey].map(([key, setting]) => [tenantOf(key), setting]));
  }

  static none(): KeySettings {
    return new KeySettings(new Map(), (k) => k);
  }

  /** The keys the file lists (they join the accepted keys). */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  of(tenant: string): KeySetting {
    return this.byTenant.get(tenant) ?? DEFAULT_SETTING;
  }

  /** The label the board shows for a tenant, or null (then it shows the tenant id). */
  labelOf(tenant: string): string | null {
    return this.of(tenant).label;
  }

  counterpartyOf(tenant: string): string {
    return this.of(tenant).counterpartyId;
  }

  /** Refuses a process the tenant's key may not use, as the vendor would an unknown one (see above). */
  requireProcess(tenant: string, processId: number): void {
    const allowed = this.of(tenant).processes;
    if (allowed && !allowed.has(processId)) {
      throw new DomainError(
        'process_not_found',
        `There is no process ${processId} for this API key: it may use process${allowed.size === 1 ? '' : 'es'} ${[...allowed].join(', ')} (SEAL_SIM_KEYS_FILE).`,
        { processId },
      );
    }
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isProcessId = (p: unknown): p is number => typeof p === 'number' && Number.isSafeInteger(p) && p > 0;

/** Reads and checks a keys file; errors name the file and the key entry (never the key itself). */
export function loadKeySettings(path: string, tenantOf: (key: string) => string): KeySettings {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read keys file ${path}: ${(e as Error).message}`);
  }
  const keys = isRecord(raw) ? raw.keys : undefined;
  if (!isRecord(keys) || Object.keys(keys).length === 0) {
    throw new ConfigError(`keys file ${path} must be {"keys": {"<api key>": {"label": …, "counterpartyId": …, "processes": […]}, …}} with at least one key`);
  }
  const out = new Map<string, KeySetting>();
  Object.entries(keys).forEach(([key, o], i) => {
    const where = `keys file ${path}, key #${i + 1}`;
    const fail: (msg: string) => never = (msg) => {
      throw new ConfigError(`${where}: ${msg}`);
    };
    if (key.trim() === '' || key !== key.trim()) fail('a key must be non-empty and have no surrounding spaces');
    if (!isRecord(o)) return fail('its settings must be an object');
    for (const field of Object.keys(o)) {
      if (!['label', 'counterpartyId', 'processes'].includes(field)) fail(`unknown field "${field}" (fields: label, counterpartyId, processes)`);
    }
    let label: string | null = null;
    const givenLabel = o.label;
    if (givenLabel !== undefined) {
      if (typeof givenLabel !== 'string' || givenLabel.trim() === '' || givenLabel.length > MAX_LABEL)
        return fail(`"label" must be a non-empty string of at most ${MAX_LABEL} characters`);
      label = givenLabel.trim();
    }
    let counterpartyId = DEFAULT_SETTING.counterpartyId;
    if (o.counterpartyId !== undefined) {
      const text = String(o.counterpartyId);
      if (!(typeof o.counterpartyId === 'number' || typeof o.counterpartyId === 'string') || !/^[1-9]\d{0,14}$/.test(text)) {
        fail('"counterpartyId" must be a positive integer (or a string of digits)');
      }
      counterpartyId = text;
    }
    let processes: Set<number> | null = null;
    const givenProcesses = o.processes;
    if (givenProcesses !== undefined) {
      if (!Array.isArray(givenProcesses) || givenProcesses.length === 0 || !givenProcesses.every(isProcessId)) {
        return fail('"processes" must be a non-empty list of process ids (positive integers); leave it out for every process');
      }
      processes = new Set(givenProcesses);
    }
    out.set(key, Object.freeze({ label, counterpartyId, processes }));
  });
  return new KeySettings(out, tenantOf);
}
