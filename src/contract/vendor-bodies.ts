import type { Static, TBoolean, TSchema, TInteger, TString, TUnsafe } from '@sinclair/typebox';
import { Type } from '../domain/json-schema.js';
import { STATUSES, type Status, statusTable, type StatusTableName } from '../domain/status.js';
import { documentOrder } from './json-schema.js';

/**
 * The vendor's response bodies (docs/vendor-contract.md#bodies), written once as schemas: Fastify
 * validates and serialises with them, the OpenAPI document is generated from them, and their
 * static types are what the presenter (src/http/vendor-json.ts) and the examples must produce.
 *
 * Two JSON styles: "vendor" keeps the vendor's quirks (ids, booleans and status codes written as
 * strings, except where the vendor's examples show numbers); "typed" writes every id as a number
 * and every boolean as a boolean. The status table decides the status names and codes shown.
 */
export type JsonStyle = 'vendor' | 'typed';

/** How each style writes an id, a boolean and a status code: the only places the styles differ. */
type IdSchema<S extends JsonStyle> = S extends 'typed' ? TInteger : TString;
type BoolSchema<S extends JsonStyle> = S extends 'typed' ? TBoolean : TUnsafe<'true' | 'false'>;
export type VendorId<S extends JsonStyle> = Static<IdSchema<S>>;
export type VendorBool<S extends JsonStyle> = Static<BoolSchema<S>>;

/** How a style writes an id, a boolean and a status's code (the presenter and the examples use these). */
export function styleWriters(style: JsonStyle, table: StatusTableName) {
  const typed = style === 'typed';
  const codes = statusTable(table);
  return {
    id: (n: number | string): VendorId<JsonStyle> => (typed ? Number(n) : String(n)),
    bool: (b: boolean): VendorBool<JsonStyle> => (typed ? b : b ? 'true' : 'false'),
    code: (s: Status): VendorId<JsonStyle> => (typed ? codes.code(s) : String(codes.code(s))),
  };
}

/** `yyyy-MM-dd HH:mm:ss`: what the vendor writes (a vendor profile may observe another format). */
const DATE = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$',
  description: '`yyyy-MM-dd HH:mm:ss` without a zone, as the vendor writes it; the simulator writes UTC (see docs/vendor-contract.md#dates).',
  examples: ['2023-01-01 12:00:00'],
});

/** How the status tables differ, in one sentence (the schema, BatchStatus and the overview all say it). */
export const STATUS_TABLE_NOTE = 'With status table A (the default) a batch with a package still reads NEW; table B shows UPLOADED.';

/** The statuses a client sees under a table, in order, with their codes ("0 NEW, 1 ACCEPTED, …"). */
export function shownStatuses(table: StatusTableName): { statuses: Status[]; codeList: string } {
  const t = statusTable(table);
  const statuses = STATUSES.filter((s) => t.name(s) === s);
  return { statuses, codeList: statuses.map((s) => `${t.code(s)} ${s}`).join(', ') };
}

/** The schemas of the vendor's bodies in one style and status table, without their examples. */
function bodySchemas<S extends JsonStyle>(style: S, table: StatusTableName) {
  const typed = style === 'typed';
  // The one place the style picks a schema; the casts tell the compiler which one it picked.
  const idString = (
    typed
      ? Type.Integer({ examples: [2123] })
      : Type.String({ pattern: '^\\d+$', description: 'A number written as a string, as the vendor does', examples: ['2123'] })
  ) as IdSchema<S>;
  const smallId = (description: string) =>
    (typed
      ? Type.Integer({ description, examples: [1] })
      : Type.String({ pattern: '^\\d+$', description: `${description} (a number written as a string)`, examples: ['1'] })) as IdSchema<S>;
  const bool = (description: string) =>
    (typed
      ? Type.Boolean({ description })
      : Type.Unsafe<'true' | 'false'>({
          type: 'string',
          enum: ['true', 'false'],
          description: `${description} (a boolean written as the string "true" or "false", as the vendor does)`,
        })) as BoolSchema<S>;

  const statuses = statusTable(table);
  const { statuses: shown, codeList } = shownStatuses(table);
  const codeDescription = typed
    ? `Numeric status code, status table ${table}: ${codeList}`
    : `Numeric status code written as a string, status table ${table}: ${codeList}`;
  const code = (note: string) =>
    (typed
      ? Type.Integer({ enum: shown.map((s) => statuses.code(s)), description: `${codeDescription}. ${note}` })
      : Type.String({ enum: shown.map((s) => String(statuses.code(s))), description: `${codeDescription}. ${note}` })) as IdSchema<S>;
  const batchCreated = Type.Object(
    {
      id: {
        ...idString,
        description: `The batch id: pass it to every other call${typed ? '' : ' (a number written as a string here, though BatchStatus and AcceptBatch answer it as a number)'}`,
      } as IdSchema<S>,
      providerSettingsId: smallId('The provider settings of the process'),
      creationDate: DATE,
      status: code(
        "Always NEW's code here. The vendor's own example shows \"1\" for a brand-new batch; the simulator reports the batch's real status (see docs/vendor-contract.md#status-in-bodies).",
      ),
    },
    { description: 'The new batch', additionalProperties: false },
  );
  const uploadReceipt = Type.Object(
    {
      id: smallId('Id of this uploaded package'),
      counterpartyId: smallId("The caller, from the API key's configuration [decision]"),
      name: Type.String({
        description:
          "The package name: the filename of a `Content-Disposition` request header if one was sent (the simulator's guess, see docs/vendor-contract.md#upload-row), else `batch-{batchId}.zip`",
        examples: ['batch-2123.zip'],
      }),
      signed: bool('Always false for the package row'),
      hash: Type.Null({ description: "Always null, as in the vendor's example" }),
      signature: Type.Null({ description: "Always null, as in the vendor's example" }),
      batchId: Type.Integer({ description: 'The batch (a number, unlike `id`)', examples: [2123] }),
      creationDate: DATE,
      isZip: bool('Always true: the row stands for the ZIP'),
      tsaId: smallId('The TSA of the process'),
    },
    {
      description: 'One row for the uploaded package itself (see docs/vendor-contract.md#upload-row); BatchStatus lists the files inside it',
      additionalProperties: false,
    },
  );
  const document = Type.Object(
    {
      id: smallId('Document id'),
      signed: bool('Whether the file was sealed'),
      fileName: Type.String({ description: "The file's name inside the package", examples: ['test.pdf'] }),
      signingResult_Success: bool(
        'Whether sealing (or validating) this file succeeded. The vendor documents no failure status: a file that could not be sealed shows false in a CLOSED batch',
      ),
    },
    { additionalProperties: false },
  );
  const batchStatusProperties = {
    id: Type.Integer({ description: 'The batch id (a number here)', examples: [2123] }),
    status: Type.Unsafe<Status>({
      type: 'string',
      enum: shown,
      description: `Status name (status table ${table}). ${STATUS_TABLE_NOTE} CLOSED means the signed package can be downloaded.`,
    }),
    creationDate: DATE,
    documents: Type.Array(document, { description: 'The files inside the uploaded package, one row each (empty before upload)' }),
  };
  const batchStatus = Type.Object(batchStatusProperties, {
    description: 'The batch and the files in its package',
    additionalProperties: false,
  });
  const batchDeleted = Type.Object(batchStatusProperties, {
    description: 'The batch as it was deleted: `status` is DELETED',
    additionalProperties: false,
  });
  const accepted = Type.Object(
    {
      id: Type.Integer({ description: 'The batch id (a number here)', examples: [2123] }),
      providerSettingsId: smallId('The provider settings of the process'),
      creationDate: DATE,
      status: code(
        'ACCEPTED\'s code here. The vendor\'s example shows "0"; the simulator reports the real status (see docs/vendor-contract.md#status-in-bodies).',
      ),
    },
    { description: 'The accepted batch', additionalProperties: false },
  );
  return { batchCreated, uploadReceipt, batchStatus, batchDeleted, accepted };
}

type BodySchemas<S extends JsonStyle> = ReturnType<typeof bodySchemas<S>>;
/** The vendor's bodies as TypeScript types, in style S: what a presenter must return. */
export type VendorBodies<S extends JsonStyle> = { [K in keyof BodySchemas<S>]: Static<BodySchemas<S>[K]> };
/**
 * The bodies in a style known only at run time (the JSON style is a setting): each id may be a
 * number or a string, each boolean a boolean or "true"/"false"; every field, its name and its
 * other types are fixed. What the presenter and the examples are checked against.
 */
export type AnyVendorBodies = VendorBodies<JsonStyle>;

/** The schemas of the vendor's bodies in one style and status table, with the vendor's examples. */
export function vendorBodySchemas<S extends JsonStyle>(style: S, table: StatusTableName = 'A') {
  const schemas = bodySchemas(style, table);
  const examples = vendorExamples(style, table);
  return {
    batchCreated: documentOrder(withExamples(schemas.batchCreated, [examples.batchCreated])),
    uploadReceipt: documentOrder(withExamples(schemas.uploadReceipt, [examples.uploadReceipt])),
    batchStatus: documentOrder(withExamples(schemas.batchStatus, [examples.batchStatus, examples.batchClosed])),
    batchDeleted: documentOrder(withExamples(schemas.batchDeleted, [examples.batchDeleted])),
    accepted: documentOrder(withExamples(schemas.accepted, [examples.accepted])),
  };
}

const withExamples = <T extends TSchema>(schema: T, examples: unknown[]): T => ({ ...schema, examples });

/**
 * The vendor's examples, in the given JSON style and status table: shown in the OpenAPI document
 * and compared by the calibration judge with what a real service answered.
 */
export function vendorExamples(
  style: JsonStyle,
  table: StatusTableName,
): {
  batchCreated: AnyVendorBodies['batchCreated'];
  uploadReceipt: AnyVendorBodies['uploadReceipt'];
  batchStatus: AnyVendorBodies['batchStatus'];
  batchClosed: AnyVendorBodies['batchStatus'];
  batchDeleted: AnyVendorBodies['batchDeleted'];
  accepted: AnyVendorBodies['accepted'];
} {
  const { id, bool, code } = styleWriters(style, table);
  const document = (n: number, fileName: string, done: boolean) => ({ id: id(n), signed: bool(done), fileName, signingResult_Success: bool(done) });
  return {
    batchCreated: { id: id(2123), providerSettingsId: id(1), creationDate: '2023-01-01 12:00:00', status: code('NEW') },
    uploadReceipt: {
      id: id(1),
      counterpartyId: id(1),
      name: 'batch-2123.zip',
      signed: bool(false),
      hash: null,
      signature: null,
      batchId: 2123,
      creationDate: '2023-01-01 12:00:05',
      isZip: bool(true),
      tsaId: id(1),
    },
    batchStatus: { id: 2123, status: 'READY', creationDate: '2023-01-01 10:00:00', documents: [document(1, 'test.pdf', false)] },
    batchClosed: {
      id: 2123,
      status: 'CLOSED',
      creationDate: '2023-01-01 10:00:00',
      documents: [document(1, 'test.pdf', true), document(2, 'notes.txt', false)],
    },
    batchDeleted: { id: 2123, status: 'DELETED', creationDate: '2023-01-01 10:00:00', documents: [document(1, 'test.pdf', true)] },
    accepted: { id: 2123, providerSettingsId: id(1), creationDate: '2023-01-01 10:00:00', status: code('ACCEPTED') },
  };
}
