import { readFileSync } from 'node:fs';
import { ConfigError, DomainError, isDomainError } from '../domain/errors.js';
import type { Status } from '../domain/status.js';
import { type FaultKind, type FaultSpec, isHttpKind, parseFaultSpec, parseFaultSpecs } from './fault-spec.js';
import { deriveSeed, Prng, randomSeed } from './prng.js';

/** A fault as stored and shown by the control API: the spec plus its id, seed and progress. */
export type StoredFault = FaultSpec & {
  id: string;
  /** The seed of its random stream: given, or derived from the registry seed and the id. */
  seed: number;
  /** How many more times it may fire; null = unlimited (probability without count). */
  remaining: number | null;
  /** How many times it has fired. */
  fired: number;
  /** How many matching calls it has seen (fired or not). */
  matched: number;
};

/** What a fired fault asks the caller to do, with every random choice already drawn. */
export type FiredParams =
  | { kind: 'latency'; ms: number }
  | { kind: 'status'; status: number; detail?: string; retryAfter?: number }
  | { kind: 'reset' }
  | { kind: 'empty' }
  | { kind: 'dribble'; chunkBytes: number; intervalMs: number }
  | { kind: 'truncate-download' | 'truncate-package'; fraction?: number; bytes?: number }
  | { kind: 'seal-fail'; fileName?: string; detail?: string }
  | { kind: 'stall'; status: Status; durationMs: number }
  /** `picks`: 2 numbers in [0,1) per flip (which entry, where in it), for corruptZip(). */
  | { kind: 'corrupt-package'; flips: number; picks: number[] }
  | { kind: 'expire'; afterMs: number }
  | { kind: 'expired-cert' | 'untrusted-cert' | 'revoked-cert'; fileName?: string; sealIdentity: 'expired' | 'untrusted' | 'revoked' };

export interface FiredFault {
  /** A snapshot of the fault after this firing (remaining already decremented). */
  fault: StoredFault;
  params: FiredParams;
  /** Short text for the journal, e.g. `latency(1200ms)#f3`. */
  label: string;
}

export interface FaultMatch {
  tenant: string;
  /** The vendor route of the call; domain faults are matched with DOMAIN_ROUTE ('AcceptBatch'). */
  route: string;
  batchId?: number;
  /**
   * The file being processed. A fault with a fileName matches only that file when this is given;
   * when it is absent (a batch-level query), a fault with a fileName still matches and the caller
   * applies it to `params.fileName` only.
   */
  fileName?: string;
  /** For `stall`: the status the batch is entering; a stall fault matches only its own status. */
  status?: string;
  kinds: readonly FaultKind[];
}

export interface FaultRegistryOptions {
  /** The registry seed (setting); faults without a seed derive theirs from it. Random when absent. */
  seed?: number;
  /** At most this many faults at once (add beyond it is refused). Default 10 000. */
  maxFaults?: number;
  /** At most this many faults of one tenant at once (SEAL_SIM_MAX_FAULTS_PER_TENANT). Default 1 000. */
  maxPerTenant?: number;
}

interface Entry {
  seq: number;
  fault: StoredFault;
  rng: Prng;
}

/**
 * The active faults of every tenant. `take` runs on every vendor request, so it is synchronous and
 * cheap: faults are indexed by kind and tenant, and a registry without faults answers at once.
 */
export class FaultRegistry {
  readonly seed: number;
  private readonly maxFaults: number;
  private readonly maxPerTenant: number;
  /** Active faults per tenant ('' for the ones of every tenant), for the per-tenant cap. */
  private readonly perTenant = new Map<string, number>();
  /** Faults bound to a batch, by batch id: dropped together when the batch ends. */
  private readonly byBatch = new Map<number, Set<Entry>>();
  private readonly byId = new Map<string, Entry>();
  /** Entries by kind, then by tenant ('' for faults of every tenant), in the order added. */
  private readonly index = new Map<FaultKind, Map<string, Entry[]>>();
  private nextSeq = 1;
  private nextId = 1;

  constructor(opts: FaultRegistryOptions = {}) {
    this.seed = opts.seed === undefined ? randomSeed() : opts.seed >>> 0;
    this.maxFaults = opts.maxFaults ?? 10_000;
    this.maxPerTenant = opts.maxPerTenant ?? 1_000;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Validates (see parseFaultSpec) and stores a fault; returns it as stored. */
  add(input: unknown): StoredFault {
    const spec = parseFaultSpec(input);
    const owner = spec.tenant ?? '';
    const held = this.perTenant.get(owner) ?? 0;
    if (spec.tenant !== undefined && held >= this.maxPerTenant) throw this.tenantFull(spec.tenant, held);
    if (this.byId.size >= this.maxFaults) throw this.globalFull();
    let id = spec.id;
    if (id === undefined) {
      do id = `f${this.nextId++}`;
      while (this.byId.has(id));
    } else if (this.byId.has(id)) {
      throw new DomainError('invalid_request', `A fault with id "${id}" already exists; remove it first or choose another id.`);
    }
    const seed = spec.seed ?? deriveSeed(this.seed, id);
    const fault: StoredFault = {
      ...spec,
      id,
      seed,
      remaining: spec.count ?? null,
      fired: 0,
      matched: 0,
    };
    const entry: Entry = { seq: this.nextSeq++, fault, rng: new Prng(seed) };
    this.byId.set(id, entry);
    this.perTenant.set(owner, held + 1);
    if (spec.batchId !== undefined) {
      let bound = this.byBatch.get(spec.batchId);
      if (!bound) this.byBatch.set(spec.batchId, (bound = new Set()));
      bound.add(entry);
    }
    let byTenant = this.index.get(spec.kind);
    if (!byTenant) this.index.set(spec.kind, (byTenant = new Map()));
    let list = byTenant.get(spec.tenant ?? '');
    if (!list) byTenant.set(spec.tenant ?? '', (list = []));
    list.push(entry);
    return snapshot(fault);
  }

  /** Throws the 429 `add` would throw for one more fault of this tenant. */
  assertRoom(tenant: string): void {
    const held = this.perTenant.get(tenant) ?? 0;
    if (held >= this.maxPerTenant) throw this.tenantFull(tenant, held);
    if (this.byId.size >= this.maxFaults) throw this.globalFull();
  }

  private tenantFull(tenant: string, held: number): DomainError {
    return new DomainError(
      'too_many_faults',
      `Tenant ${tenant} already has ${held} active faults, the most allowed (setting SEAL_SIM_MAX_FAULTS_PER_TENANT). Remove some (DELETE /_simulator/faults with your API-KEY) or let them fire, then add again.`,
      { limit: this.maxPerTenant, setting: 'SEAL_SIM_MAX_FAULTS_PER_TENANT' },
    );
  }

  private globalFull(): DomainError {
    return new DomainError(
      'too_many_faults',
      `There are already ${this.maxFaults} active faults in the simulator; remove or clear some first (DELETE /_simulator/faults).`,
      { limit: this.maxFaults },
    );
  }

  get(id: string): StoredFault | undefined {
    const e = this.byId.get(id);
    return e && snapshot(e.fault);
  }

  /**
   * Active faults in the order they were added. With a tenant: the faults that can fire for it
   * (its own and those without a tenant).
   */
  list(tenant?: string): StoredFault[] {
    const out: StoredFault[] = [];
    for (const e of this.byId.values()) {
      if (tenant === undefined || e.fault.tenant === undefined || e.fault.tenant === tenant) out.push(snapshot(e.fault));
    }
    return out;
  }

  /**
   * Removes one fault. With a tenant, only a fault of that tenant (a tenant cannot remove another
   * tenant's faults, nor the global ones). Returns whether it was removed.
   */
  remove(id: string, tenant?: string): boolean {
    const e = this.byId.get(id);
    if (!e) return false;
    if (tenant !== undefined && e.fault.tenant !== tenant) return false;
    this.drop(e);
    return true;
  }

  /** Removes every fault, or with a tenant only that tenant's own faults. Returns how many. */
  clear(tenant?: string): number {
    if (tenant === undefined) {
      const n = this.byId.size;
      this.byId.clear();
      this.index.clear();
      this.perTenant.clear();
      this.byBatch.clear();
      return n;
    }
    let n = 0;
    for (const e of [...this.byId.values()]) {
      if (e.fault.tenant === tenant) {
        this.drop(e);
        n++;
      }
    }
    return n;
  }

  /**
   * The first active fault (in the order added) that matches and whose probability roll succeeds;
   * it is counted down (and removed when exhausted). A candidate whose roll fails does not fire,
   * and the next candidate is tried. Null when nothing fires.
   */
  take(match: FaultMatch): FiredFault | null {
    if (this.byId.size === 0) return null;
    for (const e of this.candidates(match)) {
      const fired = this.roll(e);
      if (fired) return fired;
    }
    return null;
  }

  /**
   * Every matching fault whose roll succeeds, each firing once, in the order added. For
   * batch-level domain queries (the worker asks once per batch: `kinds: ['seal-fail',
   * 'expired-cert', 'untrusted-cert']`, no fileName) so that a fault without a fileName counts
   * one batch, not one file.
   */
  takeAll(match: FaultMatch): FiredFault[] {
    if (this.byId.size === 0) return [];
    const out: FiredFault[] = [];
    for (const e of this.candidates(match)) {
      const fired = this.roll(e);
      if (fired) out.push(fired);
    }
    return out;
  }

  /** Whether some active fault matches, without rolling or counting anything down. */
  has(match: FaultMatch): boolean {
    return this.byId.size > 0 && this.candidates(match).length > 0;
  }

  /**
   * Fires a one-shot spec that is not stored (a `Prefer` fault for this request): same params and
   * label as a stored fault, its probability rolled on its own stream (seed given, or random).
   * Returns null when the roll fails.
   */
  fireNow(input: FaultSpec): FiredFault | null {
    const spec = parseFaultSpec(input);
    const id = spec.id ?? 'prefer';
    const seed = spec.seed ?? randomSeed();
    const e: Entry = { seq: 0, fault: { ...spec, id, seed, remaining: spec.count ?? null, fired: 0, matched: 0 }, rng: new Prng(seed) };
    return this.roll(e, false);
  }

  private candidates(match: FaultMatch): Entry[] {
    const found: Entry[] = [];
    let lists = 0;
    for (const kind of match.kinds) {
      const byTenant = this.index.get(kind);
      if (!byTenant) continue;
      const global = byTenant.get('');
      const own = byTenant.get(match.tenant);
      if (global) {
        lists++;
        for (const e of global) if (matches(e.fault, match)) found.push(e);
      }
      if (own) {
        lists++;
        for (const e of own) if (matches(e.fault, match)) found.push(e);
      }
    }
    if (lists > 1) found.sort((a, b) => a.seq - b.seq);
    return found;
  }

  private roll(e: Entry, stored = true): FiredFault | null {
    const f = e.fault;
    f.matched++;
    if (f.probability !== undefined && !e.rng.chance(f.probability)) return null;
    const params = resolve(f, e.rng);
    f.fired++;
    if (f.remaining !== null) {
      f.remaining--;
      if (f.remaining <= 0 && stored) this.drop(e);
    }
    return { fault: snapshot(f), params, label: `${labelOf(params)}#${f.id}` };
  }

  /**
   * Removes the domain faults bound to a batch that has ended (DELETED, expired, forgotten): the
   * batch is never processed again, so they could never fire. (HTTP faults stay: requests naming
   * the batch still arrive.) Returns how many.
   */
  dropBatch(batchId: number): number {
    const bound = this.byBatch.get(batchId);
    if (!bound) return 0;
    let n = 0;
    for (const e of [...bound]) {
      if (isHttpKind(e.fault.kind)) continue;
      this.drop(e);
      n++;
    }
    return n;
  }

  private drop(e: Entry): void {
    if (!this.byId.delete(e.fault.id)) return;
    const owner = e.fault.tenant ?? '';
    const held = (this.perTenant.get(owner) ?? 1) - 1;
    if (held > 0) this.perTenant.set(owner, held);
    else this.perTenant.delete(owner);
    if (e.fault.batchId !== undefined) {
      const bound = this.byBatch.get(e.fault.batchId);
      bound?.delete(e);
      if (bound?.size === 0) this.byBatch.delete(e.fault.batchId);
    }
    const byTenant = this.index.get(e.fault.kind);
    const key = e.fault.tenant ?? '';
    const list = byTenant?.get(key);
    if (!byTenant || !list) return;
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) byTenant.delete(key);
    if (byTenant.size === 0) this.index.delete(e.fault.kind);
  }
}

function matches(f: StoredFault, m: FaultMatch): boolean {
  if (f.tenant !== undefined && f.tenant !== m.tenant) return false;
  if (f.route !== '*' && f.route !== m.route) return false;
  if (f.batchId !== undefined && f.batchId !== m.batchId) return false;
  if ('fileName' in f && f.fileName !== undefined && m.fileName !== undefined && f.fileName !== m.fileName) return false;
  if (f.kind === 'stall' && m.status !== undefined && f.status !== m.status) return false;
  return true;
}

const snapshot = (f: StoredFault): StoredFault => ({ ...f });

function resolve(f: StoredFault, rng: Prng): FiredParams {
  switch (f.kind) {
    case 'latency':
      return { kind: 'latency', ms: f.ms ?? rng.int(f.minMs ?? 0, f.maxMs ?? 0) };
    case 'status':
      return { kind: 'status', status: f.status, ...(f.detail !== undefined && { detail: f.detail }), ...(f.retryAfter !== undefined && { retryAfter: f.retryAfter }) };
    case 'reset':
    case 'empty':
      return { kind: f.kind };
    case 'dribble':
      return { kind: 'dribble', chunkBytes: f.chunkBytes, intervalMs: f.intervalMs };
    case 'truncate-download':
    case 'truncate-package':
      return f.bytes !== undefined ? { kind: f.kind, bytes: f.bytes } : { kind: f.kind, fraction: f.fraction ?? 0.5 };
    case 'seal-fail':
      return { kind: 'seal-fail', ...(f.fileName !== undefined && { fileName: f.fileName }), ...(f.detail !== undefined && { detail: f.detail }) };
    case 'stall':
      return { kind: 'stall', status: f.status, durationMs: f.durationMs };
    case 'corrupt-package': {
      const picks: number[] = [];
      for (let i = 0; i < f.flips * 2; i++) picks.push(rng.next());
      return { kind: 'corrupt-package', flips: f.flips, picks };
    }
    case 'expire':
      return { kind: 'expire', afterMs: f.afterMs };
    case 'expired-cert':
    case 'untrusted-cert':
    case 'revoked-cert':
      return {
        kind: f.kind,
        sealIdentity: f.kind === 'expired-cert' ? 'expired' : f.kind === 'revoked-cert' ? 'revoked' : 'untrusted',
        ...(f.fileName !== undefined && { fileName: f.fileName }),
      };
  }
}

/** `latency(1200ms)`, `status(503)`, `seal-fail(a.pdf)`, `reset`, ... (without the `#id`). */
export function labelOf(p: FiredParams): string {
  switch (p.kind) {
    case 'latency':
      return `latency(${p.ms}ms)`;
    case 'status':
      return `status(${p.status})`;
    case 'dribble':
      return `dribble(${p.chunkBytes}B/${p.intervalMs}ms)`;
    case 'truncate-download':
    case 'truncate-package':
      return `${p.kind}(${p.bytes !== undefined ? `${p.bytes}B` : `${Math.round((p.fraction ?? 0) * 100)}%`})`;
    case 'seal-fail':
    case 'expired-cert':
    case 'untrusted-cert':
    case 'revoked-cert':
      return p.fileName !== undefined ? `${p.kind}(${p.fileName})` : p.kind;
    case 'stall':
      return `stall(${p.status}+${p.durationMs}ms)`;
    case 'corrupt-package':
      return `corrupt-package(${p.flips})`;
    case 'expire':
      return `expire(${p.afterMs}ms)`;
    default:
      return p.kind;
  }
}

/**
 * Reads the start-up fault file (SEAL_SIM_FAULTS): a JSON array of fault objects. Throws
 * ConfigError (the one start-up error type) naming the file and the bad entry.
 */
export function loadFaultsFile(path: string): FaultSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read the faults file ${path}: ${(e as Error).message}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`The faults file ${path} is not valid JSON: ${(e as Error).message}.`);
  }
  try {
    return parseFaultSpecs(json, `${path}: faults`);
  } catch (e) {
    throw isDomainError(e) ? new ConfigError(e.detail) : e;
  }
}
