/**
 * The one pool of work slots shared by every batch: a slot is one file being processed (one
 * sealing process busy). Files wait in line per batch, batches per tenant, and a free slot goes
 * round-robin to the next tenant with a waiting file, then round-robin to that tenant's next
 * batch — so a tenant's 1-file batch waits for at most one file of each other tenant, never behind
 * another tenant's 1,000-file batch.
 *
 * One tenant may hold at most `perTenant` slots at once. With `perTenant` one less than `size`,
 * a slot is always left for another tenant: a tenant whose files each run up to their time budget
 * (poison documents) cannot make everyone else wait for them.
 */
export class FairSlots {
  private free: number;
  private readonly inUse = new Map<string, number>();
  /** Tenants with waiting files, in round-robin order. */
  private readonly tenants: string[] = [];
  /** Per tenant: its batches with waiting files, in round-robin order. */
  private readonly batches = new Map<string, number[]>();
  private readonly waiters = new Map<number, { grant: (release: () => void) => void; fail: (e: unknown) => void }[]>();

  constructor(
    readonly size: number,
    readonly perTenant: number,
  ) {
    if (size < 1 || perTenant < 1) throw new Error('FairSlots needs at least one slot');
    this.free = size;
  }

  /** Slots in use now (for the board and tests). */
  get busy(): number {
    return this.size - this.free;
  }

  /**
   * Resolves with a release function once a slot is this batch's; rejects with the signal's
   * reason if it is aborted first. Call release exactly once.
   */
  acquire(tenant: string, batchId: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (release: () => void) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        fail: reject,
      };
      const onAbort = (): void => {
        this.drop(tenant, batchId, waiter);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let list = this.waiters.get(batchId);
      if (!list) {
        list = [];
        this.waiters.set(batchId, list);
        let order = this.batches.get(tenant);
        if (!order) {
          order = [];
          this.batches.set(tenant, order);
          this.tenants.push(tenant);
        }
        order.push(batchId);
      }
      list.push(waiter);
      this.grant();
    });
  }

  private grant(): void {
    while (this.free > 0) {
      const i = this.tenants.findIndex((t) => (this.inUse.get(t) ?? 0) < this.perTenant);
      if (i < 0) return;
      const tenant = this.tenants[i]!;
      const order = this.batches.get(tenant)!;
      const batchId = order.shift()!;
      const list = this.waiters.get(batchId)!;
      const waiter = list.shift()!;
      if (list.length > 0) order.push(batchId);
      else this.waiters.delete(batchId);
      this.tenants.splice(i, 1);
      if (order.length > 0) this.tenants.push(tenant);
      else this.batches.delete(tenant);
      this.free--;
      this.inUse.set(tenant, (this.inUse.get(tenant) ?? 0) + 1);
      let released = false;
      waiter.grant(() => {
        if (released) return;
        released = true;
        this.free++;
        const n = (this.inUse.get(tenant) ?? 1) - 1;
        if (n === 0) this.inUse.delete(tenant);
        else this.inUse.set(tenant, n);
        this.grant();
      });
    }
  }

  private drop(tenant: string, batchId: number, waiter: unknown): void {
    const list = this.waiters.get(batchId);
    if (!list) return;
    const i = list.indexOf(waiter as (typeof list)[number]);
    if (i >= 0) list.splice(i, 1);
    if (list.length > 0) return;
    this.waiters.delete(batchId);
    const order = this.batches.get(tenant);
    if (!order) return;
    const j = order.indexOf(batchId);
    if (j >= 0) order.splice(j, 1);
    if (order.length === 0) {
      this.batches.delete(tenant);
      const k = this.tenants.indexOf(tenant);
      if (k >= 0) this.tenants.splice(k, 1);
    }
  }
}
