import type { Batch, Transition } from '../domain/batch.js';
import type { BatchTimes } from '../domain/batch-progression.js';
import { MAX_TIME, MIN_TIME } from '../domain/tenant-clocks.js';

/** A stored time as ISO text; one outside what a date can hold (written by an older version) is shown clamped, never a 500. */
const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(Number.isFinite(ms) ? Math.min(MAX_TIME, Math.max(MIN_TIME, ms)) : MAX_TIME).toISOString();

/** A batch as the control API and the board show it (`batchViewSchema`), with its times as the domain reads them. */
export function batchView(b: Batch, times: BatchTimes) {
  return {
    id: b.id,
    tenant: b.tenant,
    processId: b.processId,
    status: b.status,
    statusSince: iso(b.statusSince),
    timeInStatusMs: times.timeInStatusMs,
    nextStepAt: iso(times.nextStepAt),
    createdAt: iso(b.createdAt),
    package: b.package && { name: b.package.name, size: b.package.size, sha256: b.package.sha256, uploadedAt: iso(b.package.uploadedAt) },
    result: b.result && { size: b.result.size, sha256: b.result.sha256, at: iso(b.result.at) },
    documents: b.documents.map((d) => ({ id: d.id, fileName: d.fileName, size: d.size, signed: d.signed, success: d.success, detail: d.detail })),
  };
}

/** A batch's status changes, oldest first, as the control API shows them. */
export function transitionsView(transitions: readonly Transition[]) {
  return transitions.map((t) => ({ from: t.from, to: t.to, event: t.event, at: iso(t.at) }));
}
