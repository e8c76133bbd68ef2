import type { Batch, BatchPackage } from '../domain/batch.js';
import type { ProcessDef } from '../domain/process.js';
import { dateFormatter, type VendorProfile } from '../contract/vendor-profile.js';
import { statusTable, type StatusTableName } from '../domain/status.js';

/**
 * Turns batches into the vendor's response bodies (docs/vendor-contract.md#bodies), quirks kept: in "vendor" style ids
 * and booleans are strings except where the vendor's examples show numbers; in "typed" style every
 * id is a number and every boolean a boolean. The status table decides names and codes.
 */
export type JsonStyle = 'vendor' | 'typed';

export interface VendorJsonOptions {
  style: JsonStyle;
  statusTable: StatusTableName;
  /** counterpartyId of the caller (docs/vendor-contract.md#identifiers). */
  counterpartyId: string;
  /** How dates are written; default `vendorDate` (a vendor profile may observe another format). */
  date?: (ms: number) => string;
}

/** `yyyy-MM-dd HH:mm:ss`, UTC (the vendor writes no zone; docs/vendor-contract.md#dates). */
export function vendorDate(ms: number): string {
  // A poller asks for the same few batches' dates over and over; formatting a date is measurable
  // on the status route, so the last ones are kept (bounded: cleared when full).
  const second = Math.floor(ms / 1000);
  let text = vendorDates.get(second);
  if (text === undefined) {
    text = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    if (vendorDates.size >= 1024) vendorDates.clear();
    vendorDates.set(second, text);
  }
  return text;
}
const vendorDates = new Map<number, string>();

/** The profile's date writer; the cached `vendorDate` for the vendor's own format in UTC. */
export function vendorDateFormat(dates: VendorProfile['dates']): (ms: number) => string {
  return dates.format === 'yyyy-MM-dd HH:mm:ss' && dates.utcOffsetMinutes === 0 ? vendorDate : dateFormatter(dates);
}

export function vendorJson(opts: VendorJsonOptions) {
  const typed = opts.style === 'typed';
  const table = statusTable(opts.statusTable);
  const id = (n: number | string) => (typed ? Number(n) : String(n));
  const bool = (b: boolean) => (typed ? b : b ? 'true' : 'false');
  const code = (b: Batch) => (typed ? table.code(b.status) : String(table.code(b.status)));
  const date = opts.date ?? vendorDate;

  const batchStatus = (b: Batch) => ({
    id: b.id,
    status: table.name(b.status),
    creationDate: date(b.createdAt),
    documents: b.documents.map((d) => ({
      id: id(d.id),
      signed: bool(d.signed),
      fileName: d.fileName,
      signingResult_Success: bool(d.success),
    })),
  });

  return {
    created: (b: Batch, p: ProcessDef) => ({
      id: id(b.id),
      providerSettingsId: id(p.providerSettingsId),
      creationDate: date(b.createdAt),
      status: code(b),
    }),
    /** `counterpartyId`: the caller's, from its key's settings (default: the presenter's). */
    uploaded: (b: Batch, pkg: BatchPackage, p: ProcessDef, counterpartyId = opts.counterpartyId) => ({
      id: id(pkg.id),
      counterpartyId: id(counterpartyId),
      name: pkg.name,
      signed: bool(false),
      hash: null,
      signature: null,
      batchId: b.id,
      creationDate: date(pkg.uploadedAt),
      isZip: bool(true),
      tsaId: id(p.tsaId),
    }),
    status: batchStatus,
    deleted: batchStatus,
    accepted: (b: Batch, p: ProcessDef) => ({
      id: b.id,
      providerSettingsId: id(p.providerSettingsId),
      creationDate: date(b.createdAt),
      status: code(b),
    }),
  };
}
