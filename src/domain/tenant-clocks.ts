import type { Clock } from './clock.js';
import { DomainError } from './errors.js';

/** One tenant's virtual clock: it read `anchorVirtual` at real time `anchorReal` and runs at `speed`. */
export interface TenantClockState {
  tenant: string;
  anchorReal: number;
  anchorVirtual: number;
  /** 0 = frozen, 1 = real time, 60 = a minute per second. */
  speed: number;
}

/** Where clock settings are kept so a restart keeps every tenant's time (batch timestamps use it). */
export interface ClockPersistence {
  loadClocks(): TenantClockState[];
  saveClock(state: TenantClockState): void;
  deleteClocks(tenant: string | undefined): void;
}

export const MAX_SPEED = 1_000_000;
/** The range every tenant clock stays in: years 1970 to 9999, what every date format here can write. */
export const MIN_TIME = Date.UTC(1970, 0, 1);
export const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** A speed is refused when it would carry the clock past MAX_TIME within this much real time. */
const SPEED_HORIZON_MS = 86_400_000;

const RANGE_TEXT = 'between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';
const inRange = (ms: number): boolean => Number.isFinite(ms) && ms >= MIN_TIME && ms <= MAX_TIME;
const clamp = (ms: number): number => (Number.isNaN(ms) ? MAX_TIME : Math.min(MAX_TIME, Math.max(MIN_TIME, ms)));

export interface TenantClocksOptions {
  /** Told when a stored clock could not be used as stored (out of range, from an older version) and was reset. */
  onRepair?: (tenant: string, why: string) => void;
}

/**
 * A virtual clock per tenant over a base clock (the system clock, or a test's manual clock).
 * A tenant nobody has touched reads the base clock. Every time-dependent value — lifecycle
 * progress, creationDate, signing times — asks this clock with the batch's tenant.
 */
export class TenantClocks implements Clock {
  private readonly states = new Map<string, TenantClockState>();

  constructor(
    private readonly base: Clock,
    private readonly persistence?: ClockPersistence,
    options: TenantClocksOptions = {},
  ) {
    for (const s of persistence?.loadClocks() ?? []) {
      this.states.set(s.tenant, s);
      const why = this.problemWith(s);
      if (why === null) continue;
      // A clock an older version let out of range would fail every route of its tenant: it goes
      // back to real time (speed 1), and the log says so.
      this.reset(s.tenant);
      options.onRepair?.(s.tenant, why);
    }
  }

  /** Why a stored clock cannot be used, or null. */
  private problemWith(s: TenantClockState): string | null {
    if (!Number.isFinite(s.speed) || s.speed < 0 || s.speed > MAX_SPEED) return `its speed ${s.speed} is not between 0 and ${MAX_SPEED}`;
    if (!inRange(s.anchorVirtual)) return `its time (${s.anchorVirtual} ms) is not ${RANGE_TEXT}`;
    const now = this.rawNow(s, this.base.now(s.tenant).getTime());
    if (!inRange(now)) return `at its speed it now reads ${now} ms, not ${RANGE_TEXT}`;
    return null;
  }

  private rawNow(state: TenantClockState, real: number): number {
    return Math.round(state.anchorVirtual + (real - state.anchorReal) * state.speed);
  }

  /** Always a valid date in range: a clock that runs fast stops at the end of year 9999. */
  now(tenant: string): Date {
    const state = this.states.get(tenant);
    const real = this.base.now(tenant).getTime();
    if (!state) return new Date(real);
    return new Date(clamp(this.rawNow(state, real)));
  }

  read(tenant: string): { tenant: string; now: Date; speed: number; offsetMs: number } {
    const now = this.now(tenant);
    const real = this.base.now(tenant).getTime();
    return { tenant, now, speed: this.states.get(tenant)?.speed ?? 1, offsetMs: now.getTime() - real };
  }

  /** Sets the tenant's time (keeps its speed). */
  set(tenant: string, at: Date): void {
    if (Number.isNaN(at.getTime())) throw new DomainError('invalid_request', 'The time must be an ISO 8601 date-time, e.g. 2026-01-01T12:00:00Z.');
    if (!inRange(at.getTime())) throw new DomainError('invalid_request', `A tenant clock can be set only ${RANGE_TEXT}; got ${at.toISOString()}.`);
    const speed = this.states.get(tenant)?.speed ?? 1;
    this.checkSpeed(at.getTime(), speed);
    this.put(tenant, at.getTime(), speed);
  }

  /** Moves the tenant's time forward by `ms`. */
  advance(tenant: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new DomainError('invalid_request', 'A clock only advances forwards: give a positive duration.');
    const from = this.now(tenant).getTime();
    if (from + ms > MAX_TIME) {
      throw new DomainError(
        'invalid_request',
        `Advancing by ${ms} ms would carry the clock past 9999-12-31T23:59:59.999Z (a tenant clock stays ${RANGE_TEXT}); it reads ${new Date(from).toISOString()}, so at most ${MAX_TIME - from} ms can be added.`,
      );
    }
    const speed = this.states.get(tenant)?.speed ?? 1;
    this.checkSpeed(from + ms, speed);
    this.put(tenant, from + ms, speed);
  }

  /** 0 freezes the tenant's time, 1 is real time, 60 is a minute per second. */
  setSpeed(tenant: string, speed: number): void {
    if (!Number.isFinite(speed) || speed < 0 || speed > MAX_SPEED) {
      throw new DomainError('invalid_request', `speed must be a number from 0 (frozen) to ${MAX_SPEED}; 1 is real time.`);
    }
    const now = this.now(tenant).getTime();
    this.checkSpeed(now, speed);
    this.put(tenant, now, speed);
  }

  /** A clock at `at` running at `speed` must not pass the end of year 9999 within a day of real time. */
  private checkSpeed(at: number, speed: number): void {
    if (at + speed * SPEED_HORIZON_MS <= MAX_TIME) return;
    const most = Math.floor((MAX_TIME - at) / SPEED_HORIZON_MS);
    throw new DomainError(
      'invalid_request',
      `At speed ${speed} a clock reading ${new Date(at).toISOString()} would pass 9999-12-31T23:59:59.999Z within a day of real time (a tenant clock stays ${RANGE_TEXT}); use a speed of at most ${most}, or set an earlier time first.`,
    );
  }

  /** Back to the base clock for one tenant, or for all. */
  reset(tenant?: string): void {
    if (tenant === undefined) this.states.clear();
    else this.states.delete(tenant);
    this.persistence?.deleteClocks(tenant);
  }

  tenants(): string[] {
    return [...this.states.keys()];
  }

  private put(tenant: string, virtual: number, speed: number): void {
    const state = { tenant, anchorReal: this.base.now(tenant).getTime(), anchorVirtual: virtual, speed };
    this.states.set(tenant, state);
    this.persistence?.saveClock(state);
  }
}

/**
 * What parseDuration takes, as JSON Schema (for request validation and the OpenAPI document):
 * a non-negative number of ms, or a string of digits, ISO 8601 (PnDTnHnMnS) or unit parts.
 */
export const DURATION_SCHEMA = {
  description: 'Milliseconds, or a duration such as "90s", "5m", "1h30m", "2d", "1500ms" or ISO 8601 "PT5M"',
  // anyOf, not oneOf: with type coercion on, 1500 would match both branches.
  anyOf: [
    { type: 'number', minimum: 0 },
    {
      type: 'string',
      pattern:
        '^\\s*(?:\\d+|(?=[Pp].)(?![Pp].*[Tt]\\s*$)[Pp](?:\\d+[Dd])?(?:[Tt](?:\\d+[Hh])?(?:\\d+[Mm])?(?:\\d+(?:\\.\\d+)?[Ss])?)?|(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+)\\s*$',
    },
  ],
  examples: ['5m', 1500],
};

/** "90s", "5m", "1h30m", "2d", "1500ms", ISO 8601 "PT5M" / "P1DT2H", or a number of ms. */
export function parseDuration(input: unknown): number {
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) return input;
  if (typeof input !== 'string' || input.trim() === '') throw badDuration(input);
  const text = input.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (iso && text.length > 1 && !/T$/i.test(text)) {
    const [, d, h, m, s] = iso;
    return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  }
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let rest = text;
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;
  while (rest.length > 0) {
    const hit = part.exec(rest);
    if (!hit) throw badDuration(input);
    total += Number(hit[1]) * units[hit[2]!]!;
    rest = rest.slice(hit[0].length);
  }
  return total;
}

const badDuration = (input: unknown) =>
  new DomainError('invalid_request', `${JSON.stringify(input)} is not a duration: use e.g. 1500 (ms), "90s", "5m", "1h30m", "2d" or "PT5M".`);
