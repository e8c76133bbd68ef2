import { randomInt } from 'node:crypto';

/**
 * A small seeded PRNG (mulberry32: 32-bit state, full period 2^32, good enough for chaos rolls).
 * Every random choice a fault makes (probability rolls, latency draws, which bytes to corrupt)
 * comes from the fault's own stream, so a run with the same seeds and the same calls repeats
 * exactly, whatever other faults or tenants do meanwhile.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p (p ≥ 1 always true without drawing, p ≤ 0 always false without drawing). */
  chance(p: number): boolean {
    if (p >= 1) return true;
    if (p <= 0) return false;
    return this.next() < p;
  }
}

export const MAX_SEED = 0xffffffff;

/** A fresh random seed (uint32), for a registry started without a seed setting. */
export const randomSeed = (): number => randomInt(0, MAX_SEED);

/**
 * The seed of a fault that was added without one: a hash of the registry seed and the fault id
 * (FNV-1a, then a murmur3 finaliser), so the same registry seed and the same ids give the same
 * streams in every run.
 */
export function deriveSeed(registrySeed: number, id: string): number {
  let h = 0x811c9dc5;
  const text = `${registrySeed >>> 0}:${id}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
