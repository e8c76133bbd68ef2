/**
 * The integrator's flow through a TypeScript client generated from openapi/openapi.json by
 * @hey-api/openapi-ts, and nothing else: no hand-written request. scripts/test-sdk.ts generates the
 * client next to this file (./client), type-checks both with `tsc --strict`, runs this against a
 * spawned simulator and fails on a non-zero exit.
 *
 * Every response body is checked at run time against a shape derived from the generated types:
 * each `shape(...)` below must name exactly the keys of the generated type, each with the JSON kind
 * its type allows (tsc --strict refuses anything else), and the body must have exactly those keys
 * with those kinds. A document that drifts from the server fails here at compile time or at run time.
 *
 * Environment: SIM_URL (the simulator), ZIP_OK, ZIP_FOLDER, BODY_TOO_LARGE (files to upload).
 */
import { readFileSync } from 'node:fs';
import { acceptBatchById, batchDeleteCache, batchfile, batchStatus, createBatch, simReset, upload } from './client/sdk.gen';
import { createClient, createConfig } from './client/client';
import type {
  AcceptBatchByIdResponse,
  BatchDeleteCacheResponse,
  BatchStatusResponse,
  CreateBatchResponse,
  Problem,
  SimResetResponse,
  UploadResponse,
} from './client/types.gen';

// ---------------------------------------------------------------------------------------------
// Shapes derived from the generated types
// ---------------------------------------------------------------------------------------------

type Kind = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';
/** The JSON kinds a TypeScript type allows (distributes over unions: string | null → 'string' | 'null'). */
type KindOf<V> = V extends string
  ? 'string'
  : V extends number
    ? 'number'
    : V extends boolean
      ? 'boolean'
      : V extends null
        ? 'null'
        : V extends readonly unknown[]
          ? 'array'
          : 'object';
/** T without an index signature (the Problem type has one: it admits more members). */
type Known<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
/** One entry per declared key of T, required or not, naming the kinds T allows for it. */
type ShapeOf<T, D = Known<T>> = {
  [K in keyof Required<D>]-?: { kinds: readonly KindOf<Exclude<D[K], undefined>>[]; optional: undefined extends D[K] ? true : false };
};

const kindOf = (v: unknown): Kind => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as Kind));

function shape<T>(s: ShapeOf<T>): (name: string, body: unknown) => T {
  return (name, body) => {
    if (kindOf(body) !== 'object') throw new Error(`${name}: the body is ${kindOf(body)}, not an object: ${JSON.stringify(body)}`);
    const o = body as Record<string, unknown>;
    const entries = Object.entries(s) as [string, { kinds: readonly Kind[]; optional: boolean }][];
    for (const [key, { kinds, optional }] of entries) {
      if (!(key in o)) {
        if (optional) continue;
        throw new Error(`${name}: "${key}" is missing from ${JSON.stringify(body)}`);
      }
      if (!kinds.includes(kindOf(o[key])))
        throw new Error(`${name}: "${key}" is ${kindOf(o[key])} (${JSON.stringify(o[key])}); the generated type allows ${kinds.join(' | ')}`);
    }
    const extra = Object.keys(o).filter((k) => !entries.some(([key]) => key === k));
    // The Problem type admits more members (additionalProperties: true); the vendor bodies do not.
    if (extra.length > 0 && !('detail' in s)) throw new Error(`${name}: keys the generated type does not have: ${extra.join(', ')}`);
    return body as T;
  };
}

const req = { optional: false } as const;
const opt = { optional: true } as const;

const created = shape<CreateBatchResponse>({
  id: { kinds: ['string'], ...req },
  providerSettingsId: { kinds: ['string'], ...req },
  creationDate: { kinds: ['string'], ...req },
  status: { kinds: ['string'], ...req },
});
const uploaded = shape<UploadResponse>({
  id: { kinds: ['string'], ...req },
  counterpartyId: { kinds: ['string'], ...req },
  name: { kinds: ['string'], ...req },
  signed: { kinds: ['string'], ...req },
  hash: { kinds: ['null'], ...req },
  signature: { kinds: ['null'], ...req },
  batchId: { kinds: ['number'], ...req },
  creationDate: { kinds: ['string'], ...req },
  isZip: { kinds: ['string'], ...req },
  tsaId: { kinds: ['string'], ...req },
});
const accepted = shape<AcceptBatchByIdResponse>({
  id: { kinds: ['number'], ...req },
  providerSettingsId: { kinds: ['string'], ...req },
  creationDate: { kinds: ['string'], ...req },
  status: { kinds: ['string'], ...req },
});
const statusOf = shape<BatchStatusResponse>({
  id: { kinds: ['number'], ...req },
  status: { kinds: ['string'], ...req },
  creationDate: { kinds: ['string'], ...req },
  documents: { kinds: ['array'], ...req },
});
const deleted = shape<BatchDeleteCacheResponse>({
  id: { kinds: ['number'], ...req },
  status: { kinds: ['string'], ...req },
  creationDate: { kinds: ['string'], ...req },
  documents: { kinds: ['array'], ...req },
});
const reset = shape<SimResetResponse>({
  tenant: { kinds: ['string', 'null'], ...req },
  batches: { kinds: ['number'], ...req },
});
const problem = shape<Problem>({
  type: { kinds: ['string'], ...req },
  title: { kinds: ['string'], ...req },
  status: { kinds: ['number'], ...req },
  detail: { kinds: ['string'], ...req },
  instance: { kinds: ['string'], ...opt },
  traceId: { kinds: ['string'], ...opt },
  batchId: { kinds: ['number'], ...opt },
  batchStatus: { kinds: ['string'], ...opt },
  processId: { kinds: ['number'], ...opt },
  allow: { kinds: ['array'], ...opt },
  entry: { kinds: ['string', 'number'], ...opt },
  reason: { kinds: ['string'], ...opt },
  limit: { kinds: ['number'], ...opt },
  setting: { kinds: ['string'], ...opt },
});

// ---------------------------------------------------------------------------------------------
// The flow
// ---------------------------------------------------------------------------------------------

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const baseUrl = env('SIM_URL');
const file = (name: string) => new Blob([new Uint8Array(readFileSync(env(name)))]);

/** A client that sends `key` wherever the document asks for the API key (vendor and control routes). */
const clientFor = (key: string | undefined) => createClient(createConfig({ baseUrl, auth: (a) => (a.name === 'API-KEY' ? key : undefined) }));
const alice = clientFor('sdk-alice');
const bob = clientFor('sdk-bob');
const anonymous = clientFor(undefined);

let step = 0;
function check(condition: unknown, what: string): asserts condition {
  step += 1;
  if (!condition) throw new Error(`check ${step} failed: ${what}`);
  process.stdout.write(`ok ${step} - ${what}\n`);
}

async function main(): Promise<void> {
  // 1. create
  const c = await createBatch({ client: alice, path: { processId: 1 } });
  check(c.response?.status === 201, `CreateBatch answers 201 (got ${c.response?.status})`);
  const batch = created('CreateBatch 201', c.data);
  const batchId = Number(batch.id);

  // 2. upload, named by Content-Disposition
  const u = await upload({
    client: alice,
    path: { batchId },
    body: file('ZIP_OK'),
    headers: { 'Content-Disposition': 'attachment; filename="documents.zip"' },
  });
  check(u.response?.status === 202, `upload answers 202 (got ${u.response?.status}: ${JSON.stringify(u.error)})`);
  check(uploaded('upload 202', u.data).name === 'documents.zip', 'the package is named after Content-Disposition');

  // 3. accept
  const a = await acceptBatchById({ client: alice, path: { batchId } });
  check(a.response?.status === 200, `AcceptBatch answers 200 (got ${a.response?.status})`);
  check(accepted('AcceptBatch 200', a.data).id === batchId, 'AcceptBatch answers the batch');

  // 4. poll
  let status = '';
  for (let i = 0; i < 200 && status !== 'CLOSED'; i++) {
    const s = await batchStatus({ client: alice, path: { batchId } });
    check(s.response?.status === 200, `BatchStatus answers 200 (poll ${i + 1})`);
    status = statusOf('BatchStatus 200', s.data).status;
    if (status !== 'CLOSED') await new Promise((r) => setTimeout(r, 100));
  }
  check(status === 'CLOSED', 'the batch reaches CLOSED');

  // 5. download
  const d = await batchfile({ client: alice, path: { batchId }, parseAs: 'blob' });
  check(d.response?.status === 200, `batchfile answers 200 (got ${d.response?.status})`);
  const zip = new Uint8Array(await (d.data as Blob).arrayBuffer());
  check(zip.length > 22 && zip[0] === 0x50 && zip[1] === 0x4b, `the download is a ZIP (${zip.length} bytes)`);

  // 6. delete
  const del = await batchDeleteCache({ client: alice, path: { batchId } });
  check(del.response?.status === 200, `BatchDeleteCache answers 200 (got ${del.response?.status})`);
  check(deleted('BatchDeleteCache 200', del.data).status === 'DELETED', 'the batch is DELETED');

  // Errors, each a Problem body.
  const e401 = await createBatch({ client: anonymous, path: { processId: 1 } });
  check(e401.response?.status === 401, `no API key: 401 (got ${e401.response?.status})`);
  problem('CreateBatch 401', e401.error);
  check((e401.response?.headers.get('www-authenticate') ?? '').startsWith('APIKey '), 'the 401 carries a WWW-Authenticate challenge');

  const e404 = await batchStatus({ client: alice, path: { batchId: 987654321 } });
  check(e404.response?.status === 404, `unknown batch: 404 (got ${e404.response?.status})`);
  problem('BatchStatus 404', e404.error);

  const fresh = Number(created('CreateBatch 201', (await createBatch({ client: alice, path: { processId: 1 } })).data).id);
  const e409 = await acceptBatchById({ client: alice, path: { batchId: fresh } });
  check(e409.response?.status === 409, `accept before upload: 409 (got ${e409.response?.status})`);
  check(problem('AcceptBatch 409', e409.error).batchStatus === 'NEW', 'the 409 names the batch status');

  const e400 = await upload({ client: alice, path: { batchId: fresh }, body: file('ZIP_FOLDER') });
  check(e400.response?.status === 400, `a ZIP with a folder: 400 (got ${e400.response?.status})`);
  check(problem('upload 400', e400.error).reason === 'nested-path', 'the 400 says why (reason nested-path)');

  const e413 = await upload({ client: alice, path: { batchId: fresh }, body: file('BODY_TOO_LARGE') });
  check(e413.response?.status === 413, `a body over the upload limit: 413 (got ${e413.response?.status})`);
  check(problem('upload 413', e413.error).setting === 'SEAL_SIM_MAX_UPLOAD_BYTES', 'the 413 names the setting to raise');

  // A control call scoped by the API key: reset one tenant, the other keeps its batch.
  const bobs = Number(created('CreateBatch 201', (await createBatch({ client: bob, path: { processId: 1 } })).data).id);
  const r = await simReset({ client: alice });
  check(r.response?.status === 200, `reset of one tenant: 200 (got ${r.response?.status}: ${JSON.stringify(r.error)})`);
  const who = reset('simReset 200', r.data);
  check(typeof who.tenant === 'string' && who.tenant.startsWith('t-') && who.batches >= 2, `only alice's tenant was reset (${JSON.stringify(who)})`);
  const gone = await batchStatus({ client: alice, path: { batchId: fresh } });
  check(gone.response?.status === 404, `alice's batch is gone (got ${gone.response?.status})`);
  const kept = await batchStatus({ client: bob, path: { batchId: bobs } });
  check(kept.response?.status === 200 && statusOf('BatchStatus 200', kept.data).id === bobs, "bob's batch is still there");
}

main().then(
  () => process.stdout.write(`sdk flow: ${step} checks passed\n`),
  (err: unknown) => {
    process.stderr.write(`sdk flow failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
