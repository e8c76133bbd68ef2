import { readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { Batch } from '../domain/batch.js';
import type { ProgressHooks } from '../domain/batch-service.js';
import { corruptZip, sealFailFor, sealIdentityFor, truncatedLength } from './effects.js';
import type { FaultRegistry, FiredFault } from './fault-registry.js';
import { kindsActing } from './kinds.js';
import { DOMAIN_ROUTE } from './vendor-routes.js';

/** The kinds asked for at each moment, from the kind table. */
const PER_FILE = kindsActing('file');
const ON_PACKAGE = kindsActing('package');
const ON_STATUS = kindsActing('status');
const ON_CLOSED = kindsActing('closed');

/** What the worker asks of the faults for one batch, once, when its work starts. */
export interface BatchWorkFaults {
  /** For one file: an injected failure (its label) and which seal identity signs. */
  file(fileName: string): { fail: string | null; sealIdentity: 'default' | 'expired' | 'untrusted' | 'revoked' };
  /** Damages the written result in place (corrupt or truncated package); returns the new size and digest. */
  damage(absolutePath: string): Promise<{ size: number; sha256: string; label: string } | null>;
}

export interface WorkFaults {
  forBatch(batch: Batch): BatchWorkFaults | null;
}

/**
 * Domain-level faults (seal failures, bad certificates, damaged packages, stalls, cache expiry),
 * read from the fault registry at the one moment each applies. Stall and expiry decisions are
 * remembered per batch so a fault counts down once, not on every status poll. NOTE: those
 * memories live in memory only; a restart forgets a pending stall or expiry.
 */
export class DomainFaults implements ProgressHooks, WorkFaults {
  // Only decisions a fault actually made are remembered (a miss consumes nothing), and each is
  // dropped once used, so these maps hold pending effects only, however many batches go by.
  private readonly holds = new Map<string, number>();
  private readonly expiries = new Map<number, number>();

  constructor(private readonly registry: FaultRegistry) {}

  forBatch(batch: Batch): BatchWorkFaults | null {
    const match = { tenant: batch.tenant, route: DOMAIN_ROUTE, batchId: batch.id };
    const perFile = this.registry.takeAll({ ...match, kinds: PER_FILE });
    const damage = this.registry.take({ ...match, kinds: ON_PACKAGE });
    if (perFile.length === 0 && !damage) return null;
    return {
      file: (fileName) => ({ fail: sealFailFor(perFile, fileName)?.label ?? null, sealIdentity: sealIdentityFor(perFile, fileName) }),
      damage: async (path) => (damage ? damageFile(path, damage) : null),
    };
  }

  holdUntil(batch: Batch, dueAt: number): number | null {
    const key = `${batch.id}:${batch.status}`;
    const held = this.holds.get(key);
    if (held !== undefined) return held;
    const fired = this.registry.take({ tenant: batch.tenant, route: DOMAIN_ROUTE, batchId: batch.id, status: batch.status, kinds: ON_STATUS });
    if (fired?.params.kind !== 'stall') return null; // nothing consumed: no need to remember
    const until = dueAt + fired.params.durationMs;
    this.holds.set(key, until);
    return until;
  }

  expireAt(batch: Batch): number | null {
    const known = this.expiries.get(batch.id);
    if (known !== undefined) return known;
    const fired = this.registry.take({ tenant: batch.tenant, route: DOMAIN_ROUTE, batchId: batch.id, kinds: ON_CLOSED });
    if (fired?.params.kind !== 'expire') return null;
    const at = batch.statusSince + fired.params.afterMs;
    this.expiries.set(batch.id, at);
    return at;
  }

  watched(): number[] {
    return [...this.expiries.keys()];
  }

  /** The batch is done with (expired, deleted, forgotten): drop what was remembered for it. */
  settled(batchId: number): void {
    this.registry.dropBatch(batchId); // faults bound to an ended batch can never fire
    this.expiries.delete(batchId);
    for (const key of this.holds.keys()) if (key.startsWith(`${batchId}:`)) this.holds.delete(key);
  }
}

async function damageFile(path: string, fired: FiredFault): Promise<{ size: number; sha256: string; label: string } | null> {
  const p = fired.params;
  let damage: (bytes: Buffer) => Buffer;
  switch (p.kind) {
    case 'corrupt-package':
      damage = (bytes) => corruptZip(bytes, p);
      break;
    case 'truncate-package':
      damage = (bytes) => bytes.subarray(0, truncatedLength(bytes.length, p));
      break;
    default:
      return null; // not a package fault: ON_PACKAGE names only the kinds above
  }
  const damaged = damage(await readFile(path));
  await writeFile(path, damaged, { flush: true });
  return { size: damaged.length, sha256: createHash('sha256').update(damaged).digest('hex'), label: fired.label };
}
