/**
 * What a person reads for a tenant (the board, its journal table): a tenant id is a hash of its
 * API key, `t-fe06137d01a1`, which nobody can map back to the key in their test. The label is the
 * key's tail, `key …b7c1`: enough to tell one's own keys apart, never the key itself.
 *
 * The one source of labels is `tenantLabel`; keys are learnt as the simulator first sees them
 * (`rememberKey`, called where a key becomes a tenant). A tenant whose key has not been seen
 * since the start (its batches come from a database of an earlier run) keeps its id.
 */

/** Labels of tenants whose key has been seen; bounded like the key → tenant cache. */
const labels = new Map<string, string>();
const MAX_LABELS = 10_000;

/** With auth off, requests without a key share this tenant (see auth.ts). */
const SPECIAL: Readonly<Record<string, string>> = {
  public: 'no key (auth off)',
  anonymous: 'no accepted key',
};

/**
 * The key's last characters: four, but never more than a third of the key, so a short key is not
 * half given away (a key of fewer than three characters shows only its length).
 */
export function keyLabel(apiKey: string): string {
  const shown = Math.min(4, Math.floor(apiKey.length / 3));
  return shown === 0 ? `key of ${apiKey.length} char${apiKey.length === 1 ? '' : 's'}` : `key …${apiKey.slice(-shown)}`;
}

export function rememberKey(apiKey: string, tenant: string): void {
  if (labels.has(tenant)) return;
  if (labels.size >= MAX_LABELS) labels.clear();
  labels.set(tenant, keyLabel(apiKey));
}

/** The label to show for `tenant`. */
export function tenantLabel(tenant: string): string {
  return labels.get(tenant) ?? SPECIAL[tenant] ?? tenant;
}
