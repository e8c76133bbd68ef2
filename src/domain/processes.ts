import { readFileSync } from 'node:fs';
import { ConfigError, DomainError } from './errors.js';
import { OPERATIONS, PACKAGINGS, type ProcessDef, SIGNATURE_FORMATS as FORMATS, SIGNATURE_LEVELS as LEVELS } from './process.js';

const isOneOf = (values: readonly string[], v: unknown): boolean => typeof v === 'string' && values.includes(v);

/** The processes a simulator instance knows, by id. */
export class ProcessCatalog {
  private readonly byId: ReadonlyMap<number, ProcessDef>;
  constructor(processes: readonly ProcessDef[]) {
    this.byId = new Map(processes.map((p) => [p.id, p]));
  }
  get(id: number): ProcessDef | undefined {
    return this.byId.get(id);
  }
  /** The process, or a process_not_found error listing the ones there are. */
  require(id: number): ProcessDef {
    const process = this.byId.get(id);
    if (process) return process;
    const known = [...this.byId.keys()].join(', ');
    throw new DomainError(
      'process_not_found',
      `There is no process ${id}. This simulator knows processes ${known} (see GET /_simulator/processes); set SEAL_SIM_PROCESSES to mirror your own.`,
      { processId: id },
    );
  }
  all(): ProcessDef[] {
    return [...this.byId.values()];
  }
}

/**
 * Reads and checks a processes file (`fixtures/processes.json` format). Errors name the file and the
 * offending entry, because an integrator writes this file by hand to mirror their real process ids.
 */
export function loadProcesses(path: string): ProcessCatalog {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read processes file ${path}: ${(e as Error).message}`);
  }
  const list = (raw as { processes?: unknown })?.processes;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(`processes file ${path} must be {"processes": [ ... ]} with at least one process`);
  }
  const seen = new Set<number>();
  const out = list.map((p: Record<string, unknown>, i: number): ProcessDef => {
    const where = `processes file ${path}, entry ${i}`;
    const fail = (msg: string): never => {
      throw new ConfigError(`${where}: ${msg}`);
    };
    if (!Number.isSafeInteger(p.id) || (p.id as number) < 1) fail('"id" must be a positive integer');
    const id = p.id as number;
    if (seen.has(id)) fail(`duplicate id ${id}`);
    seen.add(id);
    if (!isOneOf(OPERATIONS, p.operation)) fail(`"operation" must be one of ${OPERATIONS.join(', ')}`);
    if (p.operation === 'seal') {
      if (!isOneOf(FORMATS, p.format)) fail(`"format" must be one of ${FORMATS.join(', ')}`);
      if (!isOneOf(LEVELS, p.level)) fail(`"level" must be one of ${LEVELS.join(', ')}`);
      if (!isOneOf(PACKAGINGS, p.packaging)) fail(`"packaging" must be one of ${PACKAGINGS.join(', ')}`);
      // Archive time-stamps (CAdES/XAdES-B-LTA) are not made; PAdES-B-LTA is a document time-stamp.
      if (p.level === 'B-LTA' && p.format !== 'PAdES') fail('"level" B-LTA is available for PAdES only (use B-LT for CAdES and XAdES)');
    }
    const types = p.acceptedFileTypes;
    if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string')) {
      fail('"acceptedFileTypes" must be a non-empty array like [".pdf"] or ["*"]');
    }
    for (const key of ['providerSettingsId', 'tsaId'] as const) {
      if (typeof p[key] !== 'string' || !/^\d+$/.test(p[key] as string)) fail(`"${key}" must be a numeric string like "1"`);
    }
    return {
      id,
      name: typeof p.name === 'string' ? p.name : `process ${id}`,
      operation: p.operation as ProcessDef['operation'],
      format: p.format as ProcessDef['format'],
      level: p.level as ProcessDef['level'],
      packaging: p.packaging as ProcessDef['packaging'],
      acceptedFileTypes: (types as string[]).map((t) => t.toLowerCase()),
      providerSettingsId: p.providerSettingsId as string,
      tsaId: p.tsaId as string,
    };
  });
  return new ProcessCatalog(out);
}

/** Whether a process takes a file of this name (by extension, case-insensitive). */
export function acceptsFile(process: ProcessDef, fileName: string): boolean {
  if (process.acceptedFileTypes.includes('*')) return true;
  const lower = fileName.toLowerCase();
  return process.acceptedFileTypes.some((ext) => lower.endsWith(ext));
}
