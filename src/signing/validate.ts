/**
 * Process 4 ("validate"): judges every signature a file carries against the simulator's trust
 * anchor and the test PKI's revocation data, in ETSI EN 319 102-1 terms, and writes
 * `<name>.validation.json` (shape: ValidationReport; README "Validation reports").
 *
 *   validateFile(file, ctx): Promise<FileOutcome>        // never throws; the report is the second output
 *   validateBytes(file, ctx): Promise<Validated>         // the per-signature reports
 *
 * The work is split by job under ./validation/: detect (which signature a file carries), pdf and
 * pades (PDF signature fields and revisions), cades and cms (CMS, strict DER), xades, timestamp,
 * chain, revocation, judge (facts → indication and level).
 */
import type { FileOutcome, InputFile } from './signer.js';
import type { Pki } from './pki-material.js';
import { detect, type Detected } from './validation/detect.js';
import { cadesFacts } from './validation/cades.js';
import { judge, type SignatureReport } from './validation/judge.js';
import { padesSignatures, type DocumentTimeStampReport } from './validation/pades.js';
import { xadesSignatures } from './validation/xades.js';
import { worst, type Indication, type SubIndication, type Verdict } from './validation/indication.js';
import type { Trust } from './validation/trust.js';

export type { SignatureReport } from './validation/judge.js';

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

export interface ValidationReport {
  file: string;
  /** The file's verdict: TOTAL-PASSED when every signature is; otherwise the worst one's. */
  indication: Indication;
  subIndication?: SubIndication;
  /** Legacy: indication is TOTAL-PASSED. */
  valid: boolean;
  format: string;
  /** Legacy: the first signature's signer and claimed signing time. */
  signer?: string;
  signingTime?: string;
  /** Legacy: time-stamps over all signatures (valid: every signature has one that passed). */
  timestamp: { present: boolean; valid: boolean; time?: string };
  /** Every problem, prefixed "signature #n: " when the file has several signatures. */
  reasons: string[];
  signatures: SignatureReport[];
  /** PDFs: document time-stamps (PAdES-B-LTA), each with its revision. */
  documentTimeStamps?: DocumentTimeStampReport[];
  trustAnchor: string;
  checkedAt: string;
  validator: string;
}

export interface Validated extends Partial<Verdict> {
  format: string;
  checks: SignatureReport[];
  documentTimeStamps?: DocumentTimeStampReport[];
  /** Why the file has no signature to report (missing data file, no signature, over the limit). */
  note?: string;
}

const tooMany = (n: number, max: number, what: string): string =>
  `the file holds more than ${max} ${what} (${n} counted); this simulator validates at most ${max} per file (SEAL_SIM_MAX_SIGNATURES_PER_FILE)`;

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
      if (!d.enveloping && !d.data)
        return dataFileMissing(d, file);
      return { format: d.label, checks: [judge(cadesFacts(d.cms, d.data ? [d.data] : undefined, trust), 'S-1', trust)] };
    }
    case 'xades-detached': {
      if (!d.data)
        return dataFileMissing(d, file);
      const r = await xadesSignatures(d.xml, d.data, trust, max);
      if (r.tooMany !== undefined) return { format: d.label, checks: [], note: tooMany(r.tooMany, max, 'XML signatures'), indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' };
      return { format: d.label, checks: r.signatures };
    }
    case 'pdf': {
      const r = padesSignatures(file.bytes, trust, max);
      if (r.tooMany !== undefined)
        return { format: 'PAdES', checks: [], note: tooMany(r.tooMany, max, 'PDF signature fields (/ByteRange)'), indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' };
      if (!r.signatures.length && !r.documentTimeStamps.length) return undefined;
      return {
        format: 'PAdES',
        checks: r.signatures,
        documentTimeStamps: r.documentTimeStamps,
        ...(r.signatures.length ? {} : { note: 'the PDF carries only document time-stamps, no signature', indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' }),
      };
    }
    case 'xml': {
      let r;
      try {
        r = await xadesSignatures(file.bytes, undefined, trust, max);
      } catch {
        return undefined; // not well-formed XML: not an XML signature
      }
      if (r.tooMany !== undefined) return { format: d.label, checks: [], note: tooMany(r.tooMany, max, 'XML signatures'), indication: 'INDETERMINATE', subIndication: 'SIG_CONSTRAINTS_FAILURE' };
      return r.signatures.length ? { format: d.label, checks: r.signatures } : undefined;
    }
    case 'none':
      return undefined;
  }
}

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
    note: 'no signature found: expected a signed PDF, an XML with ds:Signature, a .p7m, or a .p7s / .xades.xml together with its data file',
    indication: 'TOTAL-FAILED',
    subIndication: 'FORMAT_FAILURE',
  };
}

const VALIDATOR = 'seal-simulator in-process validator (strict DER CMS, xadesjs); TEST trust list only';

export async function validateFile(file: InputFile, ctx: ValidateContext): Promise<FileOutcome> {
  let v: Validated;
  try {
    v = await validateBytes(file, ctx);
  } catch (e) {
    v = { format: 'unknown', checks: [], note: `the file could not be checked: ${(e as Error).message}`, indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' };
  }
  const checks = v.checks;
  const verdict: Verdict = v.note && !checks.length ? { indication: v.indication ?? 'TOTAL-FAILED', ...(v.subIndication ? { subIndication: v.subIndication } : {}) } : (worst(checks) ?? { indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
  const valid = checks.length > 0 && checks.every((c) => c.indication === 'TOTAL-PASSED');
  const reasons = v.note && !checks.length ? [v.note] : checks.flatMap((c, i) => c.reasons.map((r) => (checks.length > 1 ? `signature #${i + 1}: ${r}` : r)));
  const first = checks[0];
  const report: ValidationReport = {
    file: file.name,
    indication: valid ? 'TOTAL-PASSED' : verdict.indication,
    ...(valid || !verdict.subIndication ? {} : { subIndication: verdict.subIndication }),
    valid,
    format: v.format,
    ...(first?.signer ? { signer: first.signer } : {}),
    ...(first?.signingTime ? { signingTime: first.signingTime } : {}),
    timestamp: {
      present: checks.some((c) => c.timestamp.present),
      valid: checks.length > 0 && checks.every((c) => c.timestamp.present && c.timestamp.valid),
      ...(first?.timestamp.time ? { time: first.timestamp.time } : {}),
    },
    reasons,
    signatures: checks,
    ...(v.documentTimeStamps?.length ? { documentTimeStamps: v.documentTimeStamps } : {}),
    trustAnchor: ctx.pki.ca.subject,
    checkedAt: ctx.now.toISOString(),
    validator: VALIDATOR,
  };
  const levels = [...new Set(checks.map((c) => c.level))].join('/');
  return {
    fileName: file.name,
    signed: checks.length > 0,
    success: valid,
    detail: valid
      ? `${v.format}: ${checks.length} valid signature(s) by ${first?.signer ?? 'unknown'} (TOTAL-PASSED, ${levels})`
      : `${v.format}: not valid (${report.indication}${report.subIndication ? `/${report.subIndication}` : ''}): ${reasons.join('; ') || 'no signature'}`,
    outputs: [file, { name: `${file.name}.validation.json`, bytes: Buffer.from(JSON.stringify(report, null, 2) + '\n', 'utf8') }],
  };
}
