import { EventEmitter, once, setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type ExtractedEntry, extractEntries } from '../archive/read-entries.js';
import type { ZipLimits } from '../archive/limits.js';
import { writeZip, type ZipSourceEntry } from '../archive/write-zip.js';
import type { DocumentOutcome } from '../domain/batch-store.js';
import type { BlobStore } from '../domain/blob-store.js';
import type { Clock } from '../domain/clock.js';
import type { WorkItem, WorkLedger } from '../domain/work-ledger.js';
import type { WorkQueue } from '../domain/work-queue.js';
import { siblingNamesFor } from '../signing/formats.js';
import { type FileOutcome, failedOutcome, type Signer, type StoredOutcome } from '../signing/signer.js';
import type { WorkFaults } from '../faults/domain-faults.js';
import type { FairSlots } from './fair-slots.js';

export interface BatchWorkerDeps {
  /** What to do, where attempts are counted, and where finished work is recorded. */
  ledger: WorkLedger;
  /** Where packages are read from and result packages written to. */
  blobs: BlobStore;
  signer: Signer;
  clock: Clock;
  limits: ZipLimits;
  log: Logger;
  /** The one pool of work slots shared by all batches (one file each). */
  slots: FairSlots;
  /** Directory for files extracted from packages and made by the signer (under the data directory). */
  workDir: string;
  /** A file still being processed when the process stopped this many times fails instead of being tried again. */
  maxAttempts: number;
  /** Injected domain faults (failed seals, bad certificates, damaged packages). */
  faults?: WorkFaults;
}

/** Batches of one tenant worked on at once; the rest of its batches wait their turn. */
const BATCHES_PER_TENANT = 4;
/**
 * Files up to this size are worked on in memory: inflated into a buffer, handed to the sealing
 * process inside its message and written into the result from the buffers that come back. Larger
 * files go through files in the work directory. At most the files of a batch's window are in
 * flight (the tenant's slots), so this bounds the memory a batch holds to a few MiB, while sparing
 * the small documents that batches mostly hold the creation, reading and removal of two files each.
 */
const IN_MEMORY_FILE_BYTES = 1024 * 1024;

/**
 * Does the per-file work of accepted batches off the request path. Each batch reads its package
 * entry by entry (a small file into memory, a larger one into a file), asks the shared,
 * tenant-fair pool (`FairSlots`) for a slot per file, lets the signer turn the file into its
 * outputs (in a sealing process under the file's budget), writes the outputs into the result ZIP
 * in package order (durable before `completeWork` records it), and hands the outcomes to the work
 * ledger — which alone decides what the batch's status becomes. No document over
 * IN_MEMORY_FILE_BYTES is ever held whole in the server's memory.
 *
 * A batch that is deleted or forgotten while it is worked on stops at once (`cancel`): its files in
 * sealing processes are killed, its half-written result removed.
 */
export class BatchWorker implements WorkQueue {
  private readonly queue: { id: number; tenant: string }[] = [];
  private readonly queued = new Set<number>();
  /** Batches being worked on now. */
  private readonly active = new Map<number, { tenant: string; abort: AbortController; job: Promise<void> }>();
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly finished = new EventEmitter();

  constructor(private readonly deps: BatchWorkerDeps) {
    this.finished.setMaxListeners(0);
  }

  /** Queues every batch that was accepted but has no result yet (after a restart). */
  resume(): void {
    for (const id of this.deps.ledger.pendingWork()) this.enqueue(id);
  }

  enqueue(batchId: number): void {
    if (this.stopping || this.queued.has(batchId) || this.active.has(batchId)) return;
    const tenant = this.deps.ledger.tenantOf(batchId);
    if (tenant === undefined) return;
    this.queued.add(batchId);
    this.queue.push({ id: batchId, tenant });
    this.kick();
  }

  /**
   * Stops all work on a batch now (it was deleted, expired or forgotten): taken off the queue, or
   * its files in progress killed. Resolves once nothing runs for it.
   */
  async cancel(batchId: number): Promise<void> {
    if (this.queued.delete(batchId)) {
      const i = this.queue.findIndex((q) => q.id === batchId);
      if (i >= 0) this.queue.splice(i, 1);
      this.finished.emit('batch', batchId);
    }
    const running = this.active.get(batchId);
    if (!running) return;
    running.abort.abort(new WorkStopped(`batch ${batchId} was removed`));
    await running.job;
  }

  /**
   * Starts queued batches: a tenant with fewer batches in hand goes first (oldest first among
   * equals), at most BATCHES_PER_TENANT per tenant. Files, not batches, are what the slot pool
   * shares fairly; this only bounds how many packages are open at once.
   */
  private kick(): void {
    while (!this.stopping && this.queue.length > 0) {
      const perTenant = new Map<string, number>();
      for (const a of this.active.values()) perTenant.set(a.tenant, (perTenant.get(a.tenant) ?? 0) + 1);
      let pick = -1;
      for (let i = 0; i < this.queue.length; i++) {
        const n = perTenant.get(this.queue[i]!.tenant) ?? 0;
        if (n >= BATCHES_PER_TENANT) continue;
        if (pick < 0 || n < (perTenant.get(this.queue[pick]!.tenant) ?? 0)) pick = i;
      }
      if (pick < 0) return;
      const { id, tenant } = this.queue.splice(pick, 1)[0]!;
      this.queued.delete(id);
      const abort = new AbortController();
      // Every file in flight and every slot waited for listens on the batch's signal, and their
      // number is bounded by the slot pool, not by Node's default of ten.
      setMaxListeners(0, abort.signal);
      const job = this.run(id, abort.signal).finally(() => {
        this.active.delete(id);
        this.finished.emit('batch', id);
        this.kick();
        if (this.active.size === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((w) => w());
      });
      this.active.set(id, { tenant, abort, job });
    }
  }

  /** Resolves when the queue is empty and nothing is running. */
  idle(): Promise<void> {
    if (this.active.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Takes no new batches and stops the batches in hand at once (files in sealing processes are
   * killed, so a document stuck in a parser cannot hold up a shutdown); resolves once nothing is
   * running, or after `waitMs` even if a file is still being worked on (its batch is abandoned:
   * whatever it does next fails quietly once the signer and the store are closed). Nothing
   * recorded is lost: an interrupted batch is redone on the next start, and the files stopped here
   * do not count as attempts.
   */
  async stop(waitMs = Infinity): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
    this.queued.clear();
    for (const a of this.active.values()) a.abort.abort(new WorkStopped('the simulator is stopping'));
    const running = Promise.all([...this.active.values()].map((a) => a.job));
    if (Number.isFinite(waitMs)) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
      await Promise.race([running, late]);
      clearTimeout(timer);
      if (this.active.size > 0)
        this.deps.log.info({ batches: [...this.active.keys()], waitMs }, 'batch work abandoned by shutdown; it resumes on the next start');
    } else {
      await running;
    }
    this.finished.emit('batch', null); // wake whenDone() callers: nothing more will run
    this.idleWaiters.splice(0).forEach((w) => w());
  }

  /** Resolves once the batch is neither queued nor being worked on. */
  async whenDone(batchId: number): Promise<void> {
    while (this.queued.has(batchId) || this.active.has(batchId)) {
      await once(this.finished, 'batch');
    }
  }

  get busy(): boolean {
    return this.active.size > 0;
  }

  private async run(id: number, signal: AbortSignal): Promise<void> {
    const item = this.deps.ledger.workFor(id);
    if (!item) return;
    try {
      await this.process(item, signal);
    } catch (err) {
      // After stop(), the signer, the store or a temporary data directory may be gone under a
      // file in hand: any failure then is the shutdown's, not the batch's.
      if (err instanceof WorkStopped || signal.aborted || this.stopping) {
        this.deps.log.info(
          { batchId: id, why: (signal.reason as Error | undefined)?.message },
          'batch work stopped; a batch still accepted resumes on the next start',
        );
        return;
      }
      // A batch whose package cannot be processed at all (it was inspected on upload, so this is
      // a disk or programming error) stays IN_PROGRESS and is retried on the next start.
      this.deps.log.error({ err, batchId: id }, 'batch work failed');
    }
  }

  private async process(item: WorkItem, signal: AbortSignal): Promise<void> {
    const { ledger, blobs, signer, clock, limits, log, slots, maxAttempts } = this.deps;
    const { batch, process } = item;
    const tenant = batch.tenant;
    log.info({ batchId: batch.id, processId: process.id, files: batch.documents.length }, 'batch work started');
    mkdirSync(this.deps.workDir, { recursive: true });
    const outcomes: DocumentOutcome[] = [];
    const faults = this.deps.faults?.forBatch(batch) ?? null;
    const attempts = ledger.fileAttempts(batch.id);
    const packagePath = blobs.absolute(item.packageRef);
    /** Every file this batch created; removed whatever happens. */
    const temps = new Set<string>();
    const siblings =
      process.operation === 'validate'
        ? await extractSiblings(
            packagePath,
            batch.documents.map((d) => d.fileName),
            limits,
            this.deps.workDir,
            temps,
          )
        : undefined;

    const work = async (file: ExtractedEntry): Promise<FileOutcome | StoredOutcome> => {
      const injected = faults?.file(file.name);
      if (injected?.fail) {
        return failedOutcome(file.name, `failed by an injected fault: ${injected.fail}`);
      }
      const tried = attempts.get(file.name) ?? 0;
      if (tried >= maxAttempts) {
        const detail = `"${file.name}" was not processed again: the simulator stopped ${tried} times while it was being processed (a document that crashes or hangs its sealing process is given up after ${maxAttempts} attempts, setting SEAL_SIM_FILE_ATTEMPTS).`;
        log.warn({ batchId: batch.id, tenant, file: file.name, attempts: tried }, 'file given up after repeated attempts');
        return failedOutcome(file.name, detail);
      }
      // Durable before the file reaches a sealing process: if it takes the whole server down, the
      // next start knows.
      ledger.recordAttempts(batch.id, [file.name], []);
      const ctx = { process, now: clock.now(tenant), ...(injected ? { sealIdentity: injected.sealIdentity } : {}) };
      const outcome =
        'bytes' in file
          ? await signer.processFile(file, ctx, { signal })
          : await signer.processStored(file, { ...ctx, ...(siblings ? { siblingPaths: siblings } : {}) }, { signal });
      // Ended, whatever the outcome (a file stopped by a shutdown did not fail either): only a
      // file still in progress when the process dies counts.
      ledger.recordAttempts(batch.id, [], [file.name]);
      for (const o of outcome.outputs) if ('path' in o) temps.add(o.path);
      if (outcome.overBudget) {
        log.warn({ batchId: batch.id, tenant, file: file.name, budget: outcome.overBudget, detail: outcome.detail }, 'file stopped: over its budget');
      }
      return outcome;
    };

    const stopped = (): void => {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new WorkStopped(String(signal.reason));
    };

    /** The files' outputs in package order, each file processed in a slot of the shared pool. */
    const width = slots.perTenant;
    const worker = this;
    // A validated file judged with a partner (a detached signature and its data) is handed over with
    // the partner's file: such a batch goes through files throughout.
    const inMemoryUpTo = siblings && Object.keys(siblings).length > 0 ? -1 : IN_MEMORY_FILE_BYTES;
    type Done = { outcome: FileOutcome | StoredOutcome; files: string[] };
    async function* outputs(): AsyncGenerator<ZipSourceEntry> {
      const entries = extractEntries(packagePath, limits, worker.deps.workDir, inMemoryUpTo)[Symbol.asyncIterator]();
      const window: Promise<Done>[] = [];
      /** Files of the file last emitted: removed once the ZIP has taken them. */
      let previous: string[] = [];
      async function* emit(done: Done): AsyncGenerator<ZipSourceEntry> {
        stopped();
        await Promise.all(previous.map((p) => rm(p, { force: true })));
        for (const p of previous) temps.delete(p);
        const { outcome } = done;
        outcomes.push({ fileName: outcome.fileName, signed: outcome.signed, success: outcome.success, detail: outcome.detail });
        previous = done.files;
        yield* outcome.outputs;
      }
      try {
        for (;;) {
          const release = await slots.acquire(tenant, batch.id, signal);
          let next: IteratorResult<ExtractedEntry>;
          try {
            next = await entries.next();
          } catch (e) {
            release();
            throw e;
          }
          if (next.done) {
            release();
            break;
          }
          const input = next.value;
          if ('path' in input) temps.add(input.path);
          const pending = work(input)
            .finally(release)
            .then((outcome) => ({ outcome, files: [input, ...outcome.outputs].flatMap((f) => ('path' in f ? [f.path] : [])) }));
          pending.catch(() => {}); // observed in order below
          window.push(pending);
          while (window.length >= width) yield* emit(await window.shift()!);
        }
        while (window.length > 0) yield* emit(await window.shift()!);
      } finally {
        await entries.return?.();
        await Promise.allSettled(window);
      }
    }

    const resultRef = blobs.newRef('result', batch.id);
    const resultPath = blobs.absolute(resultRef);
    try {
      let written = await writeZip(resultPath, outputs());
      stopped();
      const damaged = await faults?.damage(resultPath);
      if (damaged) {
        log.info({ batchId: batch.id, fault: damaged.label }, 'result package damaged by an injected fault');
        written = damaged;
      }
      await ledger.completeWork(batch.id, { ref: resultRef, size: written.size, sha256: written.sha256 }, outcomes);
    } finally {
      await Promise.all([...temps].map((p) => rm(p, { force: true })));
    }
  }
}

/**
 * Files a validate process needs beside the one it checks (a detached signature and its data
 * file, by the formats table's siblingNamesFor), extracted to files. Only files that have a partner.
 */
async function extractSiblings(packagePath: string, names: string[], limits: ZipLimits, dir: string, temps: Set<string>): Promise<Record<string, string>> {
  const present = new Set(names);
  const wanted = new Set(names.flatMap((n) => siblingNamesFor(n).filter((s) => present.has(s))));
  const out: Record<string, string> = {};
  if (wanted.size === 0) return out;
  for await (const entry of extractEntries(packagePath, limits, dir)) {
    temps.add(entry.path);
    if (wanted.has(entry.name)) out[entry.name] = entry.path;
    else await rm(entry.path, { force: true });
  }
  return out;
}

class WorkStopped extends Error {}
