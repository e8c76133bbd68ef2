import type { Status } from './status.js';

/** One file inside a batch's package, and what processing made of it. */
export interface BatchDocument {
  id: number;
  fileName: string;
  size: number;
  /** `signed` in BatchStatus. */
  signed: boolean;
  /** `signingResult_Success` in BatchStatus. */
  success: boolean;
  /** Why a file failed or what was checked; the simulator's own detail, never in vendor bodies. */
  detail: string | null;
}

/** The uploaded ZIP as received. */
export interface BatchPackage {
  /** Id of the upload row: `upload.id` in the vendor's body. */
  id: number;
  name: string;
  /** Relative to the data directory. */
  path: string;
  size: number;
  sha256: string;
  uploadedAt: number;
}

/** The result package written by the worker, durable before it is recorded. */
export interface BatchResult {
  path: string;
  size: number;
  sha256: string;
  /** When the worker finished, on the tenant's clock (epoch ms). */
  at: number;
}

export interface Batch {
  id: number;
  tenant: string;
  processId: number;
  status: Status;
  /** When the batch entered its current status (epoch ms, tenant clock). */
  statusSince: number;
  createdAt: number;
  package: BatchPackage | null;
  result: BatchResult | null;
  documents: BatchDocument[];
}

export interface Transition {
  from: Status | null;
  to: Status;
  event: string;
  at: number;
}
