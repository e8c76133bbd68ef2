import { type Exchange, jsonOf } from './cassette.js';
import { detectDateFormat, TIMED_PHASES, type TimedPhase } from '../contract/vendor-profile.js';

/**
 * What a target was seen to do, flattened into named aspects so that the simulator's model
 * (model.ts) can be laid beside it aspect by aspect. Built only from exchanges, so a live run
 * and a cassette judged later give the same observations.
 */

export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';

export interface Observations {
  /** HTTP status per probe (success, refusal, path casing, after delete). */
  statuses: Record<string, number>;
  /** JSON type per field of each vendor body; `documents[].x` for the files of a batch. */
  fields: Record<string, Record<string, JsonType>>;
  /** Status names seen on the flow's batch, in order, each once. */
  statusNames: string[];
  /** The status table the codes and names fit: A, B, or null when they fit neither or were not seen. */
  statusTable: 'A' | 'B' | null;
  /** How the table was told (for the report). */
  statusTableEvidence: string;
  /** Milliseconds each timed phase was visible to the poller; null when never seen. */
  phases: Record<TimedPhase, number | null>;
  /** The longest gap between two polls: the resolution of `phases`. */
  pollResolutionMs: number;
  dates: { sample: string | null; format: string; utcOffsetMinutes: number | null };
  errorBody: { shape: string; contentType: string | null; fields: string[] } | null;
  download: { contentType: string | null; entries: string[] | null } | null;
  /** The status name BatchStatus answered after delete, and what the delete itself answered. */
  afterDelete: { deleteAnswer: string | null; statusAnswer: string | null };
  /** Which AcceptBatch form the target took (path, query or JSON body). */
  acceptForm: 'path' | 'query' | 'json' | null;
  /** WWW-Authenticate of a 401, if any was seen. */
  challenge: string | null;
}

/** Body name → probe(s) whose 2xx answer carries it. */
const BODY_PROBES: Record<string, string[]> = {
  create: ['create'],
  upload: ['upload'],
  status: ['poll', 'status.uploaded', 'status.new'],
  accept: ['accept', 'accept.query', 'accept.json'],
  delete: ['delete'],
};

export function observe(exchanges: readonly Exchange[]): Observations {
  const labelled = exchanges.map((e) => ({ ...e, probe: e.probe ?? inferProbe(e) }));
  const byProbe = (probe: string) => labelled.filter((e) => e.probe === probe);
  const first = (probe: string) => byProbe(probe)[0];

  const statuses: Record<string, number> = {};
  for (const e of labelled) {
    if (e.probe === 'poll' || e.probe === 'cleanup' || e.probe === 'unknown') continue;
    statuses[e.probe.replace(/\.(query|json)$/, '')] ??= e.response.status;
  }

  const fields: Record<string, Record<string, JsonType>> = {};
  for (const [body, probes] of Object.entries(BODY_PROBES)) {
    const candidates = probes.flatMap((p) => byProbe(p)).filter((e) => e.response.status < 300);
    // The richest answer: a BatchStatus with files beats one without.
    const json = candidates
      .map((e) => jsonOf(e.response.body))
      .filter((j) => isObject(j))
      .sort((a, b) => docCount(b) - docCount(a))[0];
    if (json) fields[body] = typesOf(json as Record<string, unknown>);
  }

  const flow = labelled.filter((e) => ['status.new', 'status.uploaded', 'poll', 'accept', 'accept.query', 'accept.json'].includes(e.probe));
  const timeline = flow.map((e) => ({ at: Date.parse(e.at), name: nameOf(e) })).filter((t): t is { at: number; name: string } => typeof t.name === 'string');
  const statusNames = [...new Set(timeline.map((t) => t.name))];
  const { table, evidence } = tellTable(nameOf(first('status.uploaded')), codeOf(first('accept') ?? first('accept.query') ?? first('accept.json')));

  const polls = byProbe('poll').map((e) => Date.parse(e.at));
  const pollResolutionMs = polls.slice(1).reduce((max, t, i) => Math.max(max, t - polls[i]!), 0);

  const created = jsonOf(first('create')?.response.body ?? null) as { creationDate?: unknown } | undefined;
  const sample = typeof created?.creationDate === 'string' ? created.creationDate : null;
  const detected = sample ? detectDateFormat(sample) : null;
  let offset = detected?.offsetMinutes ?? null;
  if (sample && detected && offset === null) {
    // No zone in the text: compare the wall time it shows with the response's own Date header.
    const served = Date.parse(first('create')!.response.headers.date ?? first('create')!.at);
    const shown = Date.parse(`${sample.replace(' ', 'T').slice(0, 19)}Z`);
    if (Number.isFinite(served) && Number.isFinite(shown)) offset = Math.round((shown - served) / 900_000) * 15;
  }

  const refusal =
    labelled.find((e) => e.probe.startsWith('refusal.') && e.response.status >= 400 && e.response.status !== 401) ??
    labelled.find((e) => e.response.status >= 400);
  const download = first('download');
  const unauthorized = labelled.find((e) => e.response.status === 401);

  return {
    statuses,
    fields,
    statusNames,
    statusTable: table,
    statusTableEvidence: evidence,
    phases: phasesOf(timeline),
    pollResolutionMs,
    dates: { sample, format: detected?.format ?? (sample ? 'unknown' : 'not seen'), utcOffsetMinutes: offset },
    errorBody: refusal ? errorShape(refusal) : null,
    download: download ? { contentType: download.response.headers['content-type'] ?? null, entries: download.response.body?.zipEntries ?? null } : null,
    afterDelete: {
      deleteAnswer: nameOf(first('delete')) ?? statusText(first('delete')),
      statusAnswer: nameOf(first('afterDelete.status')) ?? statusText(first('afterDelete.status')),
    },
    acceptForm: first('accept.json') ? 'json' : first('accept.query') ? 'query' : first('accept') ? 'path' : null,
    challenge: unauthorized?.response.headers['www-authenticate'] ?? null,
  };
}

/** A recorded session has no probe labels: name the vendor route (and only routes; refusals stay unnamed). */
export function inferProbe(e: Exchange): string {
  const path = e.request.path.split('?')[0]!.toLowerCase();
  const ok = e.response.status < 400;
  const route = /^\/api\/createbatch\//.test(path)
    ? 'create'
    : /^\/api\/upload\//.test(path)
      ? 'upload'
      : /^\/api\/batchstatus\//.test(path)
        ? 'poll'
        : /^\/api\/acceptbatch/.test(path)
          ? 'accept'
          : /^\/api\/batchfile\//.test(path)
            ? 'download'
            : /^\/api\/batchdeletecache\//.test(path)
              ? 'delete'
              : 'unknown';
  if (route === 'unknown') return route;
  if (!ok) return e.response.status === 401 ? 'refusal.noKey' : `refusal.on-${route}-${e.response.status}`;
  return route;
}

function phasesOf(timeline: { at: number; name: string }[]): Record<TimedPhase, number | null> {
  const firstSeen = new Map<string, number>();
  for (const t of timeline) if (!firstSeen.has(t.name)) firstSeen.set(t.name, t.at);
  const order = ['ACCEPTED', 'READY', 'IN_PROGRESS', 'FINISHING', 'CLOSED'];
  const out = {} as Record<TimedPhase, number | null>;
  for (const phase of TIMED_PHASES) {
    const start = firstSeen.get(phase);
    const next = order
      .slice(order.indexOf(phase) + 1)
      .map((n) => firstSeen.get(n))
      .find((t) => t !== undefined);
    out[phase] = start !== undefined && next !== undefined ? next - start : null;
  }
  return out;
}

/** Table A reads an uploaded batch as NEW and numbers ACCEPTED 1; table B has UPLOADED and numbers ACCEPTED 2. */
function tellTable(uploadedName: string | undefined, acceptedCode: string | undefined): { table: 'A' | 'B' | null; evidence: string } {
  const byName = uploadedName === 'UPLOADED' ? 'B' : uploadedName === 'NEW' ? 'A' : null;
  const byCode = acceptedCode === '2' ? 'B' : acceptedCode === '1' ? 'A' : null;
  const evidence = `an uploaded batch reads ${uploadedName ?? '(not seen)'}; AcceptBatch answers status ${acceptedCode ?? '(not seen)'}`;
  if (byName && byCode && byName !== byCode) return { table: null, evidence: `${evidence}: fits neither table` };
  return { table: byName ?? byCode, evidence };
}

function errorShape(e: Exchange): Observations['errorBody'] {
  const contentType = e.response.headers['content-type'] ?? null;
  const json = jsonOf(e.response.body);
  if (!e.response.body) return { shape: 'empty', contentType, fields: [] };
  if (isObject(json)) {
    const fields = Object.keys(json).sort();
    const problem = /problem\+json/i.test(contentType ?? '') && ['type', 'title', 'status'].every((f) => fields.includes(f));
    return { shape: problem ? 'problem+json' : `json{${fields.join(',')}}`, contentType, fields };
  }
  return { shape: 'text', contentType, fields: [] };
}

function typesOf(json: Record<string, unknown>): Record<string, JsonType> {
  const out: Record<string, JsonType> = {};
  for (const [k, v] of Object.entries(json)) {
    out[k] = typeOf(v);
    if (k === 'documents' && Array.isArray(v) && isObject(v[0])) {
      for (const [dk, dv] of Object.entries(v[0])) out[`documents[].${dk}`] = typeOf(dv);
    }
  }
  return out;
}

const typeOf = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const docCount = (j: unknown) => (isObject(j) && Array.isArray(j.documents) ? j.documents.length : -1);
const nameOf = (e: Exchange | undefined): string | undefined => {
  const s = (jsonOf(e?.response.body ?? null) as { status?: unknown } | undefined)?.status;
  return typeof s === 'string' && /^[A-Z_]+$/.test(s) ? s : undefined;
};
const codeOf = (e: Exchange | undefined): string | undefined => {
  const s = (jsonOf(e?.response.body ?? null) as { status?: unknown } | undefined)?.status;
  return typeof s === 'number' || (typeof s === 'string' && /^\d+$/.test(s)) ? String(s) : undefined;
};
const statusText = (e: Exchange | undefined): string | null => (e ? `HTTP ${e.response.status}` : null);
