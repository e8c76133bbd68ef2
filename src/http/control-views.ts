import type { Static, TProperties } from '@sinclair/typebox';
import { Type } from '../domain/json-schema.js';
import { allOptional, documentOrder, orNull } from '../contract/json-schema.js';
import type { Batch } from '../domain/batch.js';
import type { BatchTimes } from '../domain/batch-progression.js';
import { STATUSES, type Status } from '../domain/status.js';
import { MAX_TIME, MIN_TIME } from '../domain/tenant-clocks.js';

/**
 * How the control API and the board show a batch and a tenant's clock: each written once, as a
 * schema (published in the OpenAPI document), its static type, and the one function that builds
 * it, which the compiler holds to the type.
 */

const isoTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });
/** Every member optional: these shapes publish no `required` list. */
const loose = <P extends TProperties>(properties: P) => Type.Object(allOptional(properties));

const transition = loose({
  from: Type.Unsafe<Status | null>({ type: ['string', 'null'] }),
  to: Type.Unsafe<Status>({ type: 'string' }),
  event: Type.String(),
  at: isoTime(),
});

export const BATCH_VIEW_SCHEMA = documentOrder(
  Type.Object(
    {
      id: Type.Integer(),
      tenant: Type.String(),
      processId: Type.Integer(),
      status: Type.Unsafe<Status>({ type: 'string', enum: [...STATUSES] }),
      statusSince: isoTime(),
      timeInStatusMs: Type.Number(),
      nextStepAt: Type.Optional(orNull(isoTime(), 'When the batch moves on by itself (null: it waits for the worker, an advance call, or is done)')),
      createdAt: isoTime(),
      package: Type.Optional(orNull(loose({ name: Type.String(), size: Type.Integer(), sha256: Type.String(), uploadedAt: isoTime() }))),
      result: Type.Optional(orNull(loose({ size: Type.Integer(), sha256: Type.String(), at: isoTime() }))),
      documents: Type.Array(
        loose({
          id: Type.Integer(),
          fileName: Type.String(),
          size: Type.Integer(),
          signed: Type.Boolean(),
          success: Type.Boolean(),
          detail: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
        }),
      ),
      transitions: Type.Optional(Type.Array(transition)),
    },
    { description: 'A batch as the simulator sees it: state, timestamps (tenant clock), files and results' },
  ),
  ['description', 'type', 'required', 'properties'],
);
export type BatchView = Static<typeof BATCH_VIEW_SCHEMA>;

export const CLOCK_VIEW_SCHEMA = documentOrder(
  Type.Object(
    {
      tenant: Type.String(),
      now: isoTime(),
      speed: Type.Number({ description: '0 = frozen, 1 = real time, 60 = a minute per second' }),
      offsetMs: Type.Number({ description: 'How far the virtual clock is ahead of (or behind) real time' }),
    },
    { description: "The tenant's clock" },
  ),
  ['description', 'type', 'required', 'properties'],
);
export type ClockView = Static<typeof CLOCK_VIEW_SCHEMA>;

/** A stored time as ISO text; one outside what a date can hold (written by an older version) is shown clamped, never a 500. */
const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(Number.isFinite(ms) ? Math.min(MAX_TIME, Math.max(MIN_TIME, ms)) : MAX_TIME).toISOString();
const isoOf = (ms: number): string => iso(ms)!;

/**
 * A batch as the control API shows it, with its times as the domain reads them (how long it has
 * been in its status by the tenant's clock, and when it moves on by itself, or null).
 */
export function batchView(b: Batch, times: BatchTimes): BatchView {
  return {
    id: b.id,
    tenant: b.tenant,
    processId: b.processId,
    status: b.status,
    statusSince: isoOf(b.statusSince),
    timeInStatusMs: times.timeInStatusMs,
    nextStepAt: iso(times.nextStepAt),
    createdAt: isoOf(b.createdAt),
    package: b.package && { name: b.package.name, size: b.package.size, sha256: b.package.sha256, uploadedAt: isoOf(b.package.uploadedAt) },
    result: b.result && { size: b.result.size, sha256: b.result.sha256, at: isoOf(b.result.at) },
    documents: b.documents.map((d) => ({ id: d.id, fileName: d.fileName, size: d.size, signed: d.signed, success: d.success, detail: d.detail })),
  };
}

/** A batch's transitions, as the control API shows them. */
export function transitionsView(transitions: readonly { from: Status | null; to: Status; event: string; at: number }[]): NonNullable<BatchView['transitions']> {
  return transitions.map((t) => ({ from: t.from, to: t.to, event: t.event, at: isoOf(t.at) }));
}

/** A tenant's clock as the control API and the board show it. */
export function clockView(tenant: string, reading: { now: Date; speed: number; offsetMs: number }): ClockView {
  return { tenant, now: reading.now.toISOString(), speed: reading.speed, offsetMs: reading.offsetMs };
}
