/**
 * A SEAL "process": the server-side configuration a processId selects (docs/vendor-contract.md#processes). Loaded from
 * `fixtures/processes.json` or the file named by SEAL_SIM_PROCESSES.
 */
export type Operation = 'seal' | 'validate';
export type SignatureFormat = 'PAdES' | 'CAdES' | 'XAdES';
/**
 * B-B: basic signature; B-T: plus a signature time-stamp from the simulator's TSA; B-LT: B-T plus
 * the validation data (certificates, CRL, OCSP responses) embedded; B-LTA (PAdES only): B-LT plus a
 * document time-stamp over it all.
 */
export type SignatureLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
/**
 * enveloped: the signature goes inside the document (PAdES, XAdES on XML).
 * detached: a separate signature file beside the document (`.p7s`, `.xades.xml`).
 * enveloping: the document goes inside the signature (`.p7m`).
 */
export type Packaging = 'enveloped' | 'detached' | 'enveloping';

export interface ProcessDef {
  id: number;
  name: string;
  operation: Operation;
  /** Absent for `validate`. */
  format?: SignatureFormat;
  level?: SignatureLevel;
  packaging?: Packaging;
  /** Lower-case extensions with dot (".pdf"), or ["*"] for any file. Others fail per file. */
  acceptedFileTypes: string[];
  providerSettingsId: string;
  tsaId: string;
}
