/** The vendor routes, by the names the journal and faults use. */
export const VENDOR_ROUTES = ['CreateBatch', 'upload', 'BatchStatus', 'BatchDeleteCache', 'AcceptBatch', 'batchfile', 'tsa'] as const;
export type VendorRoute = (typeof VENDOR_ROUTES)[number];
export type FaultRoute = VendorRoute | '*';
export const FAULT_ROUTES: readonly FaultRoute[] = [...VENDOR_ROUTES, '*'];

/**
 * The route domain faults are matched on: the call that started the batch's processing, so a
 * domain fault names `AcceptBatch` or `*`.
 */
export const DOMAIN_ROUTE = 'AcceptBatch' satisfies VendorRoute;

/**
 * The vendor route a request path names, and the batch id in it when there is one:
 * `/api/BatchStatus/42` → `{ route: 'BatchStatus', batchId: 42 }`; `/api/AcceptBatch` →
 * `{ route: 'AcceptBatch', batchId: null }` (the id may be in the body or query: the caller knows
 * better); anything else → null. Case-sensitive on the route name, as the vendor's server is not
 * guaranteed to be lenient; the query string is ignored.
 */
export function vendorRouteOf(path: string): { route: VendorRoute; batchId: number | null } | null {
  const q = path.indexOf('?');
  const parts = (q >= 0 ? path.slice(0, q) : path).split('/').filter(Boolean);
  const i = parts.indexOf('api');
  const name = i >= 0 ? parts[i + 1] : undefined;
  if (name === undefined || !(VENDOR_ROUTES as readonly string[]).includes(name)) {
    if (parts.includes('tsa')) return { route: 'tsa', batchId: null };
    return null;
  }
  const raw = parts[i + 2];
  const id = raw !== undefined && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : null;
  return { route: name as VendorRoute, batchId: name === 'CreateBatch' ? null : id };
}
