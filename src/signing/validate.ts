/**
 * Process 4 ("validate"): judges every signature a file carries against the simulator's trust
 * anchor and the test PKI's revocation data, in ETSI EN 319 102-1 terms, and writes
 * `<name>.validation.json` beside it.
 *
 *   validateFile(file, ctx): Promise<FileOutcome>        // never throws; the report is the second output
 *   validateBytes(file, ctx): Promise<Validated>         // the per-signature reports
 *
 * This module only routes: ./validation/detect.ts decides which signature the file carries, one
 * format module checks it (cades.ts over cms.ts, xades.ts, pades.ts over pdf.ts; each collects
 * facts, including time-stamps (timestamp.ts), the chain (chain.ts) and revocation
 * (revocation.ts)), judge.ts turns each signature's facts into its verdict and level, and
 * report.ts writes the file's report.
 */
import type { FileOutcome, InputFile } from './signer.js';
import type { Pki } from './pki-material.js';
import { SIGNATURE_FILES } from './formats.js';
import { detect, type Detected } from './validation/detect.js';
import { cadesFacts } from './validation/cades.js';
import { judge } from './validation/judge.js';
import { padesSignatures } from './validation/pades.js';
import { xadesSignatures } from './validation/xades.js';
import { reportFile, type Validated } from './validation/report.js';
import type { Trust } from './validation/trust.js';

export type { SignatureReport } from './validation/judge.js';
export type { Validated, ValidationReport } from './validation/report.js';

export interface ValidationLimits {
  /** More signatures (PDF signature fields, XML ds:Signature elements) than this: the file fails unchecked. */
  maxSignaturesPerFile: number;
}

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = { maxSignaturesPerFile: 50 };

export interface ValidateContext {
  /** The trust anchor, and the PKI's live CRL (without it, revocation is unknown: TRY_LATER). */
  pki: Pick<Pki, 'ca'> & Partial<Pick<Pki, 'crlDer'>>;
  now: Date;
  /** Another file of the same batch, by exact name. */
  sibling?: (name: string) => Buffer | undefined;
  limits?: ValidationLimits;
}

/** More signatures than the setting lets one file have: judged as none, with the count. */
const tooMany = (format: string, n: number, max: number, what: string): Validated => ({
  format,
  checks: [],
  note: `the file holds more than ${max} ${what} (${n} counted); this simulator validates at most ${max} per file (SEAL_SIM_MAX_SIGNATURES_PER_FILE)`,
  indication: 'INDETERMINATE',
  subIndication: 'SIG_CONSTRAINTS_FAILURE',
});

/** A detached signature whose data file is not in the batch: nothing to check it against. */
const dataFileMissing = (d: { label: string; dataName?: string }, file: InputFile): Validated => ({
  format: d.label,
  checks: [],
  note: `the signed data file "${d.dataName}" is not in the batch; upload it together with "${file.name}"`,
  indication: 'INDETERMINATE',
  subIndication: 'SIGNED_DATA_NOT_FOUND',
});

async function run(d: Detected, file: InputFile, trust: Trust, max: number): Promise<Validated | undefined> {
  switch (d.kind) {
    case 'cades': {
      if (!d.enveloping && !d.data) return dataFileMissing(d, file);
      return { format: d.label, checks: [judge(cadesFacts(d.cms, d.data ? [d.data] : undefined, trust), 'S-1', trust)] };
    }
    case 'xades-detached': {
      if (!d.data) return dataFileMissing(d, file);
      const r = await xadesSignatures(d.xml, d.data, trust, max);
      if (r.tooMany !== undefined) return tooMany(d.label, r.tooMany, max, 'XML signatures');
      return { format: d.label, checks: r.signatures };
    }
    case 'pdf': {
      const r = padesSignatures(file.bytes, trust, max);
      if (r.tooMany !== undefined) return tooMany('PAdES', r.tooMany, max, 'PDF signature fields (/ByteRange)');
      if (!r.signatures.length && !r.documentTimeStamps.length) return undefined;
      return {
        format: 'PAdES',
        checks: r.signatures,
        documentTimeStamps: r.documentTimeStamps,
        ...(r.signatures.length
          ? {}
          : { note: 'the PDF carries only document time-stamps, no signature', indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' }),
      };
    }
    case 'xml': {
      let r;
      try {
        r = await xadesSignatures(file.bytes, undefined, trust, max);
      } catch {
        return undefined; // not well-formed XML: not an XML signature
      }
      if (r.tooMany !== undefined) return tooMany(d.label, r.tooMany, max, 'XML signatures');
      return r.signatures.length ? { format: d.label, checks: r.signatures } : undefined;
    }
    case 'none':
      return undefined;
  }
}

/** The signature-file suffixes that need (or do not need) their data file beside them, for messages. */
const suffixes = (needsDataFile: boolean): string =>
  SIGNATURE_FILES.filter((f) => f.needsDataFile === needsDataFile)
    .map((f) => f.suffix)
    .join(' / ');

/** Finds and judges the signatures of one file. */
export async function validateBytes(file: InputFile, ctx: ValidateContext): Promise<Validated> {
  const trust: Trust = {
    anchorDer: ctx.pki.ca.der,
    now: ctx.now,
    revocation: { crls: ctx.pki.crlDer ? [{ der: ctx.pki.crlDer, live: true }] : [], ocsps: [] },
  };
  const max = ctx.limits?.maxSignaturesPerFile ?? DEFAULT_VALIDATION_LIMITS.maxSignaturesPerFile;
  const { first, fallback } = detect(file.name, file.bytes, (n) => ctx.sibling?.(n));
  for (const d of [first, ...fallback]) {
    const r = await run(d, file, trust, max);
    if (r) return r;
  }
  return {
    format: 'none',
    checks: [],
    note: `no signature found: expected a signed PDF, an XML with ds:Signature, a ${suffixes(false)}, or a ${suffixes(true)} together with its data file`,
    indication: 'TOTAL-FAILED',
    subIndication: 'FORMAT_FAILURE',
  };
}

export async function validateFile(file: InputFile, ctx: ValidateContext): Promise<FileOutcome> {
  let v: Validated;
  try {
    v = await validateBytes(file, ctx);
  } catch (e) {
    v = {
      format: 'unknown',
      checks: [],
      note: `the file could not be checked: ${(e as Error).message}`,
      indication: 'TOTAL-FAILED',
      subIndication: 'FORMAT_FAILURE',
    };
  }
  return reportFile(file, v, { trustAnchor: ctx.pki.ca.subject, now: ctx.now });
}
