/**
 * Time is injected. Every time-dependent value (lifecycle progress, creationDate, signing times)
 * asks the clock, per tenant, so a test can drive time instead of sleeping and so a later virtual
 * clock per tenant slots in without touching callers.
 */
export interface Clock {
  now(tenant: string): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock a test moves by hand. All tenants share it unless set per tenant. */
export class ManualClock implements Clock {
  private base: number;
  constructor(start: Date | string = '2026-01-01T12:00:00Z') {
    this.base = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.base);
  }
  advance(ms: number): void {
    this.base += ms;
  }
  set(at: Date | string): void {
    this.base = new Date(at).getTime();
  }
}
