import { FAULT_KINDS, KIND_INFO } from '../faults/fault-spec.js';
import { type OperationDoc, operationsOf } from './operation-doc.js';

/**
 * What each operation only the simulator has does, keyed by operation id: the summary and the
 * description the OpenAPI document shows (the control API under /_simulator/, the board, the test
 * PKI, health, the process list and the document itself). The counterpart of
 * ./vendor-operations.ts; the route files hold only wiring.
 */

/** What every scoped control route says about its scope and token (src/http/control-access.ts decides it). */
export const CONTROL_RULE_TEXT =
  "Tenant scope: with an API-KEY header the call acts on that key's tenant only; without one, acting on every tenant needs the admin token or `?scope=all` (and `?tenant=` narrows it to one tenant); otherwise 400. When SEAL_SIM_ADMIN_TOKEN is set the admin token is required (Authorization: Bearer, X-Admin-Token, ?token= or the board's cookie), else 401; with SEAL_SIM_API_KEYS set, the API-KEY must be a configured one and scope=all needs the admin token.";

/** A scoped control operation's description: what it does, then the scope rule. */
const scoped = (text: string): string => `${text}\n\n${CONTROL_RULE_TEXT}`;

/** A clock operation acts on exactly one tenant's clock. */
const clock = (text: string): string => scoped(`${text} The tenant is the one of the API-KEY header (or, with scope=all or the admin token, ?tenant=).`);

/** `latency` {ms, minMs, maxMs}, `reset`, …: a level's kinds with their own fields, from the kind table. */
const kindList = (level: 'http' | 'domain'): string =>
  FAULT_KINDS.filter((k) => KIND_INFO[k].level === level)
    .map((k) => {
      const fields = Object.keys(KIND_INFO[k].params);
      return fields.length > 0 ? `\`${k}\` {${fields.join(', ')}}` : `\`${k}\``;
    })
    .join(', ');

/** Every file of the test PKI is made the same way. */
const PKI_FILE =
  'Made once per data directory from keys kept in the per-user cache (or issued from the CA given by SEAL_SIM_PKI_CA_CERT/_KEY). Every name in it says TEST. Certificates point to this CRL, the CA and the OCSP responder under SEAL_SIM_PUBLIC_URL (default: the address bound).';
const pkiFile = (summary: string): OperationDoc => ({ summary, description: PKI_FILE });

/** The OCSP responder's two forms (RFC 6960 appendix A) answer alike. */
const OCSP =
  'RFC 6960 OCSP responder for certificates of the test CA: `good`, `revoked` (with time and reason; see POST /_simulator/pki/revocations) or `unknown` (another issuer, or a serial the CA never issued). Signed by the delegated responder certificate (/_simulator/pki/ocsp.pem); the request nonce is echoed. A body that is not an OCSPRequest gets the OCSP status malformedRequest (HTTP 200, as RFC 6960 has it). Every seal and TSA certificate names this address in its Authority Information Access.';

export const SIMULATOR_OPERATIONS = {
  // The batch control API (src/http/control-routes.ts)
  simListBatches: { summary: 'List batches', description: scoped('Newest first, with state, timestamps, files and results.') },
  simGetBatch: { summary: 'Inspect one batch', description: scoped('Everything the simulator knows about a batch, including its transition history.') },
  simForgetBatch: {
    summary: 'Forget one batch outright',
    description: scoped(
      'Removes the batch, its files and its history; afterwards the vendor routes answer 404 for it. (BatchDeleteCache, by contrast, keeps it as DELETED.)',
    ),
  },
  simAdvanceBatch: {
    summary: 'Move a batch on now',
    description: scoped(
      'One step (UPLOADED → ACCEPTED → READY → IN_PROGRESS → FINISHING → CLOSED), or straight `to` a named status, ignoring the timing profile. The only way batches move in the `manual` timing profile. An UPLOADED batch is accepted on the way; IN_PROGRESS waits for the worker, so a CLOSED batch always has its package.',
    ),
  },
  simReset: {
    summary: 'Reset the simulator, or one tenant',
    description: scoped(
      "Forgets batches (with their files), the tenant's virtual clock, its faults and its journal entries. With the API-KEY header only that key's tenant is reset; with scope=all (or the admin token) everything, or only the tenant named by `tenant` in the body or the query.",
    ),
  },
  simGetClock: {
    summary: "Read a tenant's clock",
    description: clock('Every time the simulator shows or stamps for this tenant comes from this clock.'),
  },
  simSetClock: {
    summary: "Set a tenant's clock",
    description: clock(
      'Set the time (`at`, ISO 8601, years 1970–9999) and/or the speed (0 = frozen, 1 = real time, 60 = a minute per second). A time outside that range, or a speed that would carry the clock past 9999 within a day of real time, is a 400.',
    ),
  },
  simAdvanceClock: {
    summary: "Advance a tenant's clock",
    description: clock(
      'Move time forward by a duration: milliseconds, "90s", "5m", "1h30m", "2d" or ISO 8601 "PT5M". Batches that become due move on at once. A clock stays within years 1970–9999: an advance past that is a 400 that says how much may be added.',
    ),
  },

  // Faults and the request journal (src/http/steering-routes.ts)
  simListFaults: {
    summary: 'List active faults',
    description: scoped("The tenant's faults and the ones that apply to every tenant, with how often each matched and fired and what remains."),
  },
  simAddFaults: {
    summary: 'Inject faults',
    description: [
      'One fault or a list. Each matches a `route` (CreateBatch, upload, BatchStatus, BatchDeleteCache, AcceptBatch, batchfile, tsa or *), optionally a `batchId` or `fileName`, and fires for the next `count` matching calls (default 1) or with a seeded `probability`.',
      `HTTP kinds: ${kindList('http')}.`,
      `Domain kinds (matched when the batch is processed, route AcceptBatch or *): ${kindList('domain')}.`,
      "Sent with an API-KEY header, a fault belongs to that key's tenant (a `tenant` naming another is refused); with scope=all (or the admin token) it applies to the `tenant` it names, or to every tenant.",
      CONTROL_RULE_TEXT,
    ].join('\n\n'),
  },
  simClearFaults: { summary: 'Remove faults', description: scoped("Removes the tenant's own faults, or (scope=all without ?tenant=) every fault.") },
  simRemoveFault: {
    summary: 'Remove one fault',
    description: scoped("Removes a fault by the id POST /_simulator/faults gave it (only the tenant's own when an API-KEY is sent)."),
  },
  simQueryJournal: {
    summary: 'Query the request journal',
    description: scoped(
      'Every vendor-API request: method, path (credential query parameters such as token or api_key redacted), headers (secrets redacted), body size and SHA-256 (uploads), status, latency and any fault applied. Oldest first; `limit` keeps the newest. Bounded by SEAL_SIM_JOURNAL_MAX_ENTRIES and _BYTES.',
    ),
  },
  simExportJournal: {
    summary: 'Export the journal as NDJSON',
    description: scoped('The same entries and filters as GET /_simulator/journal, one JSON object per line.'),
  },
  simVerifyJournal: {
    summary: 'Verify that a sequence of calls was made',
    description: scoped(
      'Answers whether the `expected` calls appear in this order in the journal (other calls may come between). A step matches on any of `route`, `method`, `path` (exact, with or without the query; or a glob where `*` stands for any characters, e.g. "/api/BatchStatus/*"), `pathPrefix`, `batchId`, `status` (e.g. 200 or "2xx"), and may repeat (`minTimes`, `maxTimes`) — e.g. [{"route":"BatchStatus","minTimes":2},{"route":"batchfile","status":200}]. Regular expressions are not accepted (a caller\'s pattern could stall the server for everyone): a `path` written as "/regex/" or a `regex` field is a 400 saying what to use instead.',
    ),
  },
  simClearJournal: { summary: 'Clear the journal', description: scoped("Clears the tenant's entries, or (scope=all without ?tenant=) all.") },

  // The batch board (src/http/board-routes.ts)
  simBoard: {
    summary: 'The batch board (HTML)',
    description:
      "Each tenant's batches live (status, time in status, files and results), clocks, active faults and the latest journal entries, with buttons to advance, fail or reset. Polls /_simulator/state?scope=all once a second. When SEAL_SIM_ADMIN_TOKEN is set, open it once as /_simulator/?token=<token>: the page stores the token in an HttpOnly cookie (seal_sim_admin, SameSite=Strict, Path=/_simulator) and redirects to /_simulator/, so the token never stays in the address bar and its polling never carries it in a URL.",
  },
  simBoardState: {
    summary: 'Everything the board shows, in one snapshot',
    description: scoped(
      "Every tenant with its virtual clock and its latest batches (as GET /_simulator/batches shows them), the active faults and the newest journal entries; with an API-KEY header, that key's tenant only. The board polls this once a second with scope=all; a script can too. A tenant whose state cannot be shown is listed with an `error` instead of failing the whole snapshot.",
    ),
  },

  // The test PKI (src/http/pki-routes.ts); a file's summary also describes its 200 answer
  pkicapem: pkiFile('The test root CA (PEM): the one trust anchor to verify sealed packages with'),
  pkicader: pkiFile('The test root CA (DER); the caIssuers address in every certificate it issued'),
  pkicacrl: pkiFile("The CA's current certificate revocation list (DER, v2, with a CRL number); the CRL distribution point of every certificate it issued"),
  pkisealpem: pkiFile('The seal certificate (qualified e-seal profile, TEST)'),
  pkitsapem: pkiFile('The time-stamping authority certificate (TEST)'),
  pkiocsppem: pkiFile('The delegated OCSP responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck; TEST)'),
  pkiOcspPost: { summary: 'OCSP (POST application/ocsp-request)', description: OCSP },
  pkiOcspGet: { summary: 'OCSP (GET /ocsp/{url-encoded base64 DER OCSPRequest})', description: OCSP },
  simPkiRevocations: {
    summary: 'Revocation state of the test CA',
    description: 'What the CRL and the OCSP responder say: the revoked certificates, the last CRL number, and every certificate the CA issued.',
  },
  simPkiRevoke: {
    summary: 'Revoke a certificate of the test CA',
    description:
      'The CRL (next CRL number) and OCSP follow at once. `certificate`: a role (`seal`, `tsa`, `expired-seal`) or a serial number in hex. This acts on the one PKI every tenant shares: revoking `seal` makes every seal made from then on (and, for validators, before it) fail revocation checks until DELETE /_simulator/pki/revocations/{serial}. For one tenant or one file, the fault `revoked-cert` seals with a certificate that is revoked from the start instead.',
  },
  simPkiUnrevoke: {
    summary: 'Take a certificate off the revocation list again',
    description:
      'A test convenience (real CAs do this only for certificateHold). `serial`: hex, or a role such as `seal`. The next CRL (next number) no longer lists it; OCSP answers good. Idempotent.',
  },

  // Health, processes and this document (src/http/simulator-routes.ts, src/http/openapi.ts)
  simulatorHealth: {
    summary: 'Is the simulator up and able to store batches?',
    description:
      'Simulator only (the vendor has no such endpoint); no API key needed. 200 while the database and the data directory can be written, 503 otherwise: a readiness probe for Docker and CI.',
  },
  simulatorProcesses: {
    summary: 'The processes CreateBatch accepts',
    description:
      'Simulator only; no API key needed. Lists the processes this simulator knows, i.e. the `processId`s `POST /api/CreateBatch/{processId}` accepts, with what each does to a file. The real service configures its processes server-side and publishes no such list (see docs/vendor-contract.md#processes); point SEAL_SIM_PROCESSES at your own file to mirror your real process ids.',
  },
  openApiDocument: {
    summary: 'This OpenAPI document',
    description:
      'Simulator only. The OpenAPI 3.1 description of the API as this simulator is configured (JSON style and status table); with the defaults it is the committed `openapi/openapi.json` with one more server first: the origin this request was sent to. The explorer is at `/docs`.',
  },
} satisfies Record<string, OperationDoc>;

export type SimulatorOperationId = keyof typeof SIMULATOR_OPERATIONS;

/** The `operationId`, `summary` and `description` of a route's schema. */
export const simulatorOperation = operationsOf(SIMULATOR_OPERATIONS);
