import type { Static } from '@sinclair/typebox';
import { Type } from './json-schema.js';

/**
 * A SEAL "process": the server-side configuration a processId selects (docs/vendor-contract.md#processes). Loaded from
 * `fixtures/processes.json` or the file named by SEAL_SIM_PROCESSES.
 */
export const OPERATIONS = ['seal', 'validate'] as const;
export const SIGNATURE_FORMATS = ['PAdES', 'CAdES', 'XAdES'] as const;
export const SIGNATURE_LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
export const PACKAGINGS = ['enveloped', 'detached', 'enveloping'] as const;

export type Operation = (typeof OPERATIONS)[number];
export type SignatureFormat = (typeof SIGNATURE_FORMATS)[number];
/**
 * B-B: basic signature; B-T: plus a signature time-stamp from the simulator's TSA; B-LT: B-T plus
 * the validation data (certificates, CRL, OCSP responses) embedded; B-LTA (PAdES only): B-LT plus a
 * document time-stamp over it all.
 */
export type SignatureLevel = (typeof SIGNATURE_LEVELS)[number];
/**
 * enveloped: the signature goes inside the document (PAdES, XAdES on XML).
 * detached: a separate signature file beside the document (`.p7s`, `.xades.xml`).
 * enveloping: the document goes inside the signature (`.p7m`).
 */
export type Packaging = (typeof PACKAGINGS)[number];

const oneOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

/**
 * A process as the processes file writes it and GET /_simulator/processes answers it: one
 * schema, from which the type below is made.
 */
export const PROCESS_DEF_SCHEMA = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  operation: oneOf(OPERATIONS),
  /** Absent for `validate`. */
  format: Type.Optional(oneOf(SIGNATURE_FORMATS)),
  level: Type.Optional(oneOf(SIGNATURE_LEVELS)),
  packaging: Type.Optional(oneOf(PACKAGINGS)),
  /** Lower-case extensions with dot (".pdf"), or ["*"] for any file. Others fail per file. */
  acceptedFileTypes: Type.Array(Type.String()),
  providerSettingsId: Type.String(),
  tsaId: Type.String(),
});
export type ProcessDef = Static<typeof PROCESS_DEF_SCHEMA>;
