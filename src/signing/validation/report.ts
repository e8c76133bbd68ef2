/**
 * The file-level result of process 4: from the per-signature reports (judge.ts) to the file's
 * verdict, the legacy fields kept beside it, the `<name>.validation.json` report (ValidationReport;
 * README "Validation reports") and the outcome line the batch shows for the file.
 *
 *   reportFile(file, validated, about): FileOutcome      // the file itself, then its report
 */
import type { FileOutcome, InputFile } from '../signer.js';
import { validationReportName } from '../formats.js';
import { worst, type Indication, type SubIndication, type Verdict } from './indication.js';
import type { SignatureReport } from './judge.js';
import type { DocumentTimeStampReport } from './pades.js';

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

/** What the format modules found in one file. */
export interface Validated extends Partial<Verdict> {
  format: string;
  checks: SignatureReport[];
  documentTimeStamps?: DocumentTimeStampReport[];
  /** Why the file has no signature to report (missing data file, no signature, over the limit). */
  note?: string;
}

const VALIDATOR = 'seal-simulator in-process validator (strict DER CMS, xadesjs); TEST trust list only';

/** Builds the report of `file` and the outcome that carries it. */
export function reportFile(file: InputFile, v: Validated, about: { trustAnchor: string; now: Date }): FileOutcome {
  const checks = v.checks;
  const verdict: Verdict =
    v.note && !checks.length
      ? { indication: v.indication ?? 'TOTAL-FAILED', ...(v.subIndication ? { subIndication: v.subIndication } : {}) }
      : (worst(checks) ?? { indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' });
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
    trustAnchor: about.trustAnchor,
    checkedAt: about.now.toISOString(),
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
    outputs: [file, { name: validationReportName(file.name), bytes: Buffer.from(JSON.stringify(report, null, 2) + '\n', 'utf8') }],
  };
}
