import type { Batch, BatchPackage } from '../domain/batch.js';
import type { ProcessDef } from '../domain/process.js';
import { type AnyVendorBodies, type JsonStyle, styleWriters } from '../contract/vendor-bodies.js';
import { dateFormatter, type VendorProfile } from '../contract/vendor-profile.js';
import { statusTable, type StatusTableName } from '../domain/status.js';

/**
 * Turns batches into the vendor's response bodies (docs/vendor-contract.md#bodies), quirks kept.
 * Each body is typed by its schema (src/contract/vendor-bodies.ts): a presenter that leaves out a
 * field, adds one or writes one with another type does not compile (each function names its
 * body's type, so the compiler also refuses a field the schema does not have).
 */

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

/** What the vendor routes answer, one function per body. */
export interface VendorPresenter {
  created(b: Batch, p: ProcessDef): AnyVendorBodies['batchCreated'];
  /** `counterpartyId`: the caller's, from its key's settings (default: the presenter's). */
  uploaded(b: Batch, pkg: BatchPackage, p: ProcessDef, counterpartyId?: string): AnyVendorBodies['uploadReceipt'];
  status(b: Batch): AnyVendorBodies['batchStatus'];
  deleted(b: Batch): AnyVendorBodies['batchDeleted'];
  accepted(b: Batch, p: ProcessDef): AnyVendorBodies['accepted'];
}

export function vendorJson(opts: VendorJsonOptions): VendorPresenter {
  const table = statusTable(opts.statusTable);
  const { id, bool, code: codeOf } = styleWriters(opts.style, opts.statusTable);
  const code = (b: Batch) => codeOf(b.status);
  const date = opts.date ?? vendorDate;

  const batchStatus = (b: Batch): AnyVendorBodies['batchStatus'] => ({
    id: b.id,
    status: table.name(b.status),
    creationDate: date(b.createdAt),
    documents: b.documents.map((d): AnyVendorBodies['batchStatus']['documents'][number] => ({
      id: id(d.id),
      signed: bool(d.signed),
      fileName: d.fileName,
      signingResult_Success: bool(d.success),
    })),
  });

  return {
    created: (b: Batch, p: ProcessDef): AnyVendorBodies['batchCreated'] => ({
      id: id(b.id),
      providerSettingsId: id(p.providerSettingsId),
      creationDate: date(b.createdAt),
      status: code(b),
    }),
    uploaded: (b: Batch, pkg: BatchPackage, p: ProcessDef, counterpartyId = opts.counterpartyId): AnyVendorBodies['uploadReceipt'] => ({
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
    accepted: (b: Batch, p: ProcessDef): AnyVendorBodies['accepted'] => ({
      id: b.id,
      providerSettingsId: id(p.providerSettingsId),
      creationDate: date(b.createdAt),
      status: code(b),
    }),
  };
}
