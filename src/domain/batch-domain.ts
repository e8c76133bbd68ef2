import type { Logger } from 'pino';
import { BatchControl } from './batch-control.js';
import { type ProgressHooks, Progression } from './batch-progression.js';
import { BatchRecords } from './batch-records.js';
import { BatchService, type TenantQuotas } from './batch-service.js';
import type { BatchStore } from './batch-store.js';
import type { BlobStore } from './blob-store.js';
import type { Clock } from './clock.js';
import type { PackageIntake } from './package-intake.js';
import type { ProcessCatalog } from './processes.js';
import type { Status } from './status.js';
import type { TimingProfile } from './timing.js';
import { WorkLedger } from './work-ledger.js';
import type { WorkQueue } from './work-queue.js';

/** The ports the batch domain is given, and the rules it is set up with. */
export interface BatchDomainDeps {
  store: BatchStore;
  blobs: BlobStore;
  intake: PackageIntake;
  processes: ProcessCatalog;
  clock: Clock;
  timing: TimingProfile;
  log: Logger;
  /** How a status is named to clients (status table A shows UPLOADED as NEW). */
  showStatus?: (status: Status) => Status;
  progressHooks?: ProgressHooks;
  /** How many uploads one tenant may have in flight (absent: no bound). */
  maxUploadsPerTenant?: number;
  /** What one tenant may hold (absent: no bounds). */
  quotas?: TenantQuotas;
}

export interface BatchDomain<Q extends WorkQueue> {
  /** The vendor's operations (the /api routes). */
  service: BatchService;
  /** The control API's and the board's operations. */
  control: BatchControl;
  /** Time-driven status (the background ticker calls `tick`). */
  progression: Progression;
  /** The worker's side. */
  ledger: WorkLedger;
  /** The work queue made from the ledger. */
  work: Q;
}

/**
 * Builds the batch domain over its ports. The work queue is made from the work ledger (the worker
 * reads its work there) before the operations that feed the queue exist, so every part is
 * complete when it is constructed and the domain and the worker depend on each other only
 * through the WorkQueue and WorkLedger types.
 */
export function createBatchDomain<Q extends WorkQueue>(deps: BatchDomainDeps, makeWorkQueue: (ledger: WorkLedger) => Q): BatchDomain<Q> {
  const { store, blobs, clock, log } = deps;
  const records = new BatchRecords({ store, clock, log, showStatus: deps.showStatus });
  const progression = new Progression({ records, store, blobs, timing: deps.timing, log, hooks: deps.progressHooks });
  const ledger = new WorkLedger({ store, blobs, processes: deps.processes, clock, progression, log });
  const work = makeWorkQueue(ledger);
  const service = new BatchService({
    records,
    store,
    blobs,
    intake: deps.intake,
    processes: deps.processes,
    progression,
    work,
    log,
    maxUploadsPerTenant: deps.maxUploadsPerTenant,
    quotas: deps.quotas,
  });
  const control = new BatchControl({ records, store, progression, vendor: service, work, log });
  return { service, control, progression, ledger, work };
}
