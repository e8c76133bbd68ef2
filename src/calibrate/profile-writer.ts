import type { ProcessDef } from '../domain/process.js';
import { type Aspect, describe, judge, REFUSAL_PROBES } from './judge.js';
import type { Observations } from './observations.js';
import {
  type DateFormat,
  DATE_FORMATS,
  type ErrorBodyShape,
  type ProblemMember,
  REFUSAL_CODES,
  type RefusalCode,
  TIMED_PHASES,
  type TimedPhase,
  type VendorProfile,
} from '../contract/vendor-profile.js';

/**
 * Turns what the kit saw into a vendor profile: every difference that a switch can take on is
 * written into that switch; the others go to `cannotTakeOn`, worded as the report words them, so a
 * run judged against the new profile lists them as known instead of failing on them.
 */
export function profileFrom(
  seen: Observations,
  aspects: readonly Aspect[],
  base: VendorProfile,
  process: ProcessDef | undefined,
  source: string,
): VendorProfile {
  const differs = (sw: string) => aspects.some((a) => !a.matches && a.switch !== null && (a.switch === sw || a.switch.startsWith(`${sw}.`)));

  const refusals = { ...base.refusals };
  for (const code of REFUSAL_CODES) {
    const seenStatuses = Object.entries(seen.statuses)
      .filter(([probe]) => REFUSAL_PROBES[probe] === code)
      .map(([, status]) => status);
    // The most common answer for this kind of refusal (the others stay in cannotTakeOn).
    const top = mostCommon(seenStatuses.filter((s) => s >= 400));
    if (top !== undefined) refusals[code as RefusalCode] = top;
  }

  const format = (DATE_FORMATS as readonly string[]).includes(seen.dates.format) ? (seen.dates.format as DateFormat) : base.dates.format;
  const timing = differs('timing')
    ? (Object.fromEntries(TIMED_PHASES.map((p) => [p, Math.max(0, Math.round(seen.phases[p] ?? 0))])) as Record<TimedPhase, number>)
    : base.timing;

  const profile: VendorProfile = {
    profile: 1,
    name: 'observed',
    source,
    statusTable: seen.statusTable ?? base.statusTable,
    json: differs('json') ? (base.json === 'vendor' ? 'typed' : 'vendor') : base.json,
    dates: { format, utcOffsetMinutes: seen.dates.utcOffsetMinutes ?? base.dates.utcOffsetMinutes },
    timing,
    refusals,
    errorBody: seen.errorBody ? errorBodyFrom(seen.errorBody) : base.errorBody,
    cannotTakeOn: [],
  };
  // What stays different once every switch is set: the target judged again against this profile.
  profile.cannotTakeOn = judge(seen, profile, process)
    .filter((a) => !a.matches)
    .map(describe);
  return profile;
}

/** Maps an observed JSON error body's fields onto problem members by name (message → detail, …). */
function errorBodyFrom(seen: NonNullable<Observations['errorBody']>): ErrorBodyShape {
  if (seen.shape === 'problem+json') return { shape: 'problem+json' };
  if (seen.shape === 'empty') return { shape: 'empty' };
  if (seen.shape === 'text') return { shape: 'text', contentType: seen.contentType ?? 'text/plain; charset=utf-8' };
  const fields: Record<string, ProblemMember> = {};
  for (const name of seen.fields) fields[name] = memberFor(name);
  return { shape: 'json', contentType: (seen.contentType ?? 'application/json').split(';')[0]!.trim(), fields };
}

function memberFor(field: string): ProblemMember {
  const f = field.toLowerCase();
  if (/status|code$|^code|statuscode/.test(f)) return 'status';
  if (/trace|correlation|request.?id/.test(f)) return 'traceId';
  if (/^type$|kind|category/.test(f)) return 'type';
  if (/title|^error$|summary/.test(f)) return 'title';
  if (/path|instance|url|uri/.test(f)) return 'instance';
  return 'detail'; // message, detail, description, errors …
}

function mostCommon(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}
