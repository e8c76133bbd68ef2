import { describe, expect, it } from 'vitest';
import { FairSlots } from '../../../src/worker/fair-slots.js';

const tick = () => new Promise((r) => setImmediate(r));

/** Queues `n` files of a batch; returns the order in which they got a slot (by label). */
function queue(slots: FairSlots, tenant: string, batch: number, n: number, log: string[], releases: (() => void)[], signal?: AbortSignal): Promise<unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    slots.acquire(tenant, batch, signal).then((release) => {
      log.push(`${tenant}/${batch}/${i}`);
      releases.push(release);
    }),
  );
}

describe('FairSlots: one pool, round-robin by tenant then by batch', () => {
  it('a tenant never holds more than its share, so another tenant finds a slot at once', async () => {
    const slots = new FairSlots(3, 2);
    const log: string[] = [];
    const releases: (() => void)[] = [];
    queue(slots, 'A', 1, 1000, log, releases);
    await tick();
    expect(log).toEqual(['A/1/0', 'A/1/1']);
    queue(slots, 'B', 2, 1, log, releases);
    await tick();
    expect(log.at(-1)).toBe('B/2/0'); // not behind A's 998 waiting files
    expect(slots.busy).toBe(3);
  });

  it("a freed slot goes to the next tenant in turn, then to that tenant's next batch", async () => {
    const slots = new FairSlots(1, 1);
    const log: string[] = [];
    const releases: (() => void)[] = [];
    queue(slots, 'A', 1, 3, log, releases);
    queue(slots, 'A', 2, 2, log, releases);
    queue(slots, 'B', 3, 2, log, releases);
    queue(slots, 'C', 4, 1, log, releases);
    for (let i = 0; i < 8; i++) {
      await tick();
      releases.shift()?.();
    }
    await tick();
    // A/1/0 starts at once (alone); then A's next turn comes only after B's and C's, and A's
    // batches take turns among themselves.
    expect(log).toEqual(['A/1/0', 'A/1/1', 'B/3/0', 'C/4/0', 'A/2/0', 'B/3/1', 'A/1/2', 'A/2/1']);
  });

  it('an aborted wait leaves the line and rejects with the reason; release is idempotent', async () => {
    const slots = new FairSlots(1, 1);
    const first = await slots.acquire('A', 1);
    const abort = new AbortController();
    const waiting = slots.acquire('B', 2, abort.signal);
    abort.abort(new Error('batch deleted'));
    await expect(waiting).rejects.toThrow('batch deleted');
    first();
    first();
    expect(slots.busy).toBe(0);
    const again = await slots.acquire('C', 3);
    expect(slots.busy).toBe(1);
    again();
  });
});
