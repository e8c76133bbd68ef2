/**
 * Certification path from a signer (or TSA) certificate to the simulator's trust anchor, through the
 * certificates the signature carries, with each certificate's validity checked at given times.
 *
 *   buildChain(leafDer, pool, anchorDer, times, what): ChainResult
 */
import { issued, readCert, type Cert } from './certificates.js';

export interface ChainResult {
  /** Leaf first, anchor last, when the anchor was reached. */
  path: Cert[];
  anchored: boolean;
  leaf?: Cert;
  /** Validity-period problems (a certificate expired or not yet valid at one of the times). */
  outOfBounds: { cert: 'leaf' | 'issuer'; kind: 'expired' | 'not-yet-valid'; at: Date; text: string }[];
  /** Why the anchor was not reached (empty when anchored). */
  problems: string[];
}

const MAX_DEPTH = 6;

export function buildChain(leafDer: Buffer, pool: readonly Buffer[], anchorDer: Buffer, times: readonly Date[], what = 'signer'): ChainResult {
  const r: ChainResult = { path: [], anchored: false, outOfBounds: [], problems: [] };
  const leaf = readCert(leafDer);
  if (!leaf) {
    r.problems.push(`the ${what} certificate cannot be parsed`);
    return r;
  }
  r.leaf = leaf;
  const anchor = readCert(anchorDer);
  if (!anchor) throw new Error('the trust anchor cannot be parsed');
  const candidates = pool.map(readCert).filter((c): c is Cert => !!c);
  const validity = (c: Cert, label: string, role: 'leaf' | 'issuer'): void => {
    for (const t of times) {
      if (t < c.notBefore)
        r.outOfBounds.push({
          cert: role,
          kind: 'not-yet-valid',
          at: t,
          text: `the ${label} certificate is not yet valid at ${t.toISOString()} (valid from ${c.notBefore.toISOString()})`,
        });
      if (t > c.notAfter)
        r.outOfBounds.push({
          cert: role,
          kind: 'expired',
          at: t,
          text: `the ${label} certificate expired on ${c.notAfter.toISOString()} (checked at ${t.toISOString()})`,
        });
    }
  };
  validity(leaf, what, 'leaf');
  let cur = leaf;
  r.path.push(cur);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (cur.der.equals(anchor.der)) {
      r.anchored = true;
      return r;
    }
    if (issued(anchor, cur)) {
      validity(anchor, 'trust anchor', 'issuer');
      r.path.push(anchor);
      r.anchored = true;
      return r;
    }
    const next = candidates.find((c) => !c.der.equals(cur.der) && issued(c, cur));
    if (!next) {
      r.problems.push(
        cur.x.checkIssued(cur.x)
          ? `the ${what} chain ends at "${cur.subject}", which is not the simulator's trust anchor`
          : `the ${what} certificate's issuer "${cur.issuer}" is not the simulator's trust anchor and is not in the signature`,
      );
      return r;
    }
    cur = next;
    r.path.push(cur);
    validity(cur, `${what} issuer`, 'issuer');
  }
  r.problems.push(`the ${what} chain is too long`);
  return r;
}
