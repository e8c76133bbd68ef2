/**
 * Per-file work of the real signer, shared by the sealing processes (through stored-engine.ts) and the in-process path.
 *
 *   processWith(env: Engine, file: InputFile, ctx: EngineContext): Promise<FileOutcome>   // never throws
 */
import { type FileOutcome, failedOutcome, type InputFile, type SignContext } from './signer.js';
import type { Identity, Pki } from './pki-material.js';
import type { Tsa } from './tsa.js';
import type { LtvMaterial } from './pades.js';
import { buildSignedData } from './cms.js';
import { acceptsFile } from '../domain/processes.js';
import { hasPdfSignature, hasXmlDeclaration, hasXmlName, isPdf, signatureFileName, signatureSuffix } from './formats.js';
import type { ValidationLimits } from './validate.js';

// The format modules pull in pdf-lib, xadesjs and pkijs (≈0.5–1 s to load each on a small box):
// they are loaded on first use, so a CAdES-only worker never pays for them (see preloadFormats).
type PadesMod = typeof import('./pades.js');
type XadesMod = typeof import('./xades.js');
type ValidateMod = typeof import('./validate.js');
let padesP: Promise<PadesMod> | undefined;
let xadesP: Promise<XadesMod> | undefined;
let validateP: Promise<ValidateMod> | undefined;
const pades = (): Promise<PadesMod> => (padesP ??= import('./pades.js'));
const xades = (): Promise<XadesMod> => (xadesP ??= import('./xades.js'));
const validate = (): Promise<ValidateMod> => (validateP ??= import('./validate.js'));

/** Loads every format module now (worker warm-up). */
export async function preloadFormats(): Promise<void> {
  await Promise.all([pades(), xades(), validate()]);
}

/**
 * The format modules one by one, most needed first (PDFs are most of what is sealed): a sealing
 * process loads them in this order while it has nothing else to do (worker.ts).
 */
export const FORMAT_LOADERS: readonly (() => Promise<unknown>)[] = [pades, xades, validate];

export interface Engine {
  pki: Pki;
  tsa: Tsa;
  /** Limits of the validate process (default DEFAULT_VALIDATION_LIMITS). */
  validation?: ValidationLimits;
}

/** SignContext minus functions: what crosses to a worker (siblings resolved to bytes by name). */
export interface EngineContext extends Omit<SignContext, 'siblings'> {
  siblings?: (name: string) => Buffer | undefined;
  /** Current revocation data (DER) for a B-LT/B-LTA seal, from the main thread's revocation state. */
  revocation?: RevocationData;
}

export interface RevocationData {
  crls: Buffer[];
  ocsps: Buffer[];
}

/** Answers with the current CRLs and OCSP responses covering `certs` (DER) at `now`. */
export type RevocationSource = (certs: Buffer[], now: Date) => RevocationData;

/** Whether a process embeds validation data (so the caller fetches revocation data for it). */
export const embedsValidationData = (p: SignContext['process']): boolean => p.operation === 'seal' && (p.level === 'B-LT' || p.level === 'B-LTA');

/** The certificates whose revocation status a B-LT seal embeds: the seal's and the TSA's. */
export function revocationSubjects(pki: Pki, which: SignContext['sealIdentity']): Buffer[] {
  return [identityFor(pki, which).cert.der, pki.tsa.cert.der];
}

export function identityFor(pki: Pki, which: SignContext['sealIdentity']): Identity {
  switch (which) {
    case 'expired':
      return pki.expiredSeal;
    case 'untrusted':
      return pki.untrustedSeal;
    case 'revoked':
      return pki.revokedSeal;
    default:
      return pki.seal;
  }
}

/**
 * What a B-LT signature embeds so it can be validated later without fetching anything: the seal
 * certificate and its CA, the TSA certificate, and the revocation data the caller passed (the
 * CA's current CRL, OCSP responses for the seal and TSA certificates); without any, the CRL the
 * PKI was loaded with.
 */
export function validationMaterial(env: Engine, signer: Identity, revocation?: RevocationData): LtvMaterial {
  const certs: Buffer[] = [];
  for (const c of [signer.cert, signer.issuer, env.pki.tsa.cert, env.pki.tsa.issuer]) if (!certs.some((x) => x.equals(c.der))) certs.push(c.der);
  return { certs, crls: revocation?.crls ?? [env.pki.crlDer], ocsps: revocation?.ocsps ?? [] };
}

/** How an outcome names a seal made with a fault identity ("" for the default seal). */
export const sealedWith = (which: SignContext['sealIdentity']): string => (which && which !== 'default' ? ` with the ${which} TEST seal` : '');

/** The outcome line of a CAdES seal (the same whether the file was in memory or on disk). */
export const cadesDetail = (level: string, enveloping: boolean, which: SignContext['sealIdentity']): string =>
  `CAdES-${level} ${enveloping ? `enveloping (${signatureSuffix('p7m')})` : `detached (${signatureSuffix('p7s')})`}${sealedWith(which)}`;

const fail = (file: InputFile, detail: string): FileOutcome => failedOutcome(file.name, detail);

export async function processWith(env: Engine, file: InputFile, ctx: EngineContext): Promise<FileOutcome> {
  const p = ctx.process;
  try {
    if (!acceptsFile(p, file.name))
      return fail(file, `process ${p.id} (${p.name}) accepts only ${p.acceptedFileTypes.join(', ')} files; "${file.name}" was not sealed`);
    if (p.operation === 'validate')
      return await (await validate()).validateFile(file, {
        // The CA's CRL as it is now (a certificate revoked through the control API since start-up),
        // when the caller sent it; else the one the PKI was loaded with.
        pki: ctx.revocation?.crls[0] ? { ...env.pki, crlDer: ctx.revocation.crls[0] } : env.pki,
        now: ctx.now,
        ...(ctx.siblings ? { sibling: ctx.siblings } : {}),
        ...(env.validation ? { limits: env.validation } : {}),
      });

    const signer = identityFor(env.pki, ctx.sealIdentity);
    const level = p.level ?? 'B-B';
    const timestamp = level !== 'B-B' ? (d: Buffer): Buffer => env.tsa.tokenForDigest(d, ctx.now) : undefined;
    const ltv = embedsValidationData(p) ? validationMaterial(env, signer, ctx.revocation) : undefined;
    const who = sealedWith(ctx.sealIdentity);
    switch (p.format) {
      case 'PAdES': {
        if (!isPdf(file.bytes)) return fail(file, `"${file.name}" is not a PDF (no %PDF- header); PAdES seals PDFs only`);
        const { padesSeal, PdfRefusal } = await pades();
        let sealed: Buffer;
        try {
          sealed = await padesSeal(file.bytes, {
            signer,
            now: ctx.now,
            ...(timestamp ? { timestamp } : {}),
            ...(ltv ? { ltv } : {}),
            ...(level === 'B-LTA' ? { documentTimestamp: (d: Buffer) => env.tsa.tokenForDigest(d, ctx.now) } : {}),
          });
        } catch (e) {
          if (e instanceof PdfRefusal) return fail(file, `"${file.name}" was not sealed: ${e.message}`);
          return fail(file, `"${file.name}" could not be sealed as PAdES: the PDF cannot be parsed (${(e as Error).message})`);
        }
        return {
          fileName: file.name,
          signed: true,
          success: true,
          detail: `PAdES-${level} (ETSI.CAdES.detached, incremental update)${who}${
            hasPdfSignature(file.bytes) ? '; the PDF was already signed: the seal was appended as a new revision, earlier signatures are kept' : ''
          }`,
          outputs: [{ name: file.name, bytes: sealed }],
        };
      }
      case 'CAdES': {
        const enveloping = p.packaging === 'enveloping';
        const cms = buildSignedData({
          signer,
          content: file.bytes,
          attach: enveloping,
          signingTime: ctx.now,
          ...(timestamp ? { timestamp } : {}),
          ...(ltv ? { certificates: ltv.certs, crls: ltv.crls, ocsps: ltv.ocsps } : {}),
        });
        return {
          fileName: file.name,
          signed: true,
          success: true,
          detail: cadesDetail(level, enveloping, ctx.sealIdentity),
          outputs: enveloping ? [{ name: signatureFileName('p7m', file.name), bytes: cms }] : [file, { name: signatureFileName('p7s', file.name), bytes: cms }],
        };
      }
      case 'XAdES': {
        const { parseXml, xadesDetached, xadesEnveloped } = await xades();
        const o = { signer, now: ctx.now, ...(timestamp ? { timestamp } : {}), ...(ltv ? { ltv } : {}) };
        const isXmlName = hasXmlName(file.name);
        let parsed: Document | undefined;
        if (isXmlName || hasXmlDeclaration(file.bytes)) {
          try {
            parsed = parseXml(file.bytes);
          } catch {
            parsed = undefined;
          }
        }
        const xmlOk = parsed !== undefined;
        if (parsed && p.packaging !== 'detached') {
          const sealed = await xadesEnveloped(file.bytes, o, parsed);
          return { fileName: file.name, signed: true, success: true, detail: `XAdES-${level} enveloped${who}`, outputs: [{ name: file.name, bytes: sealed }] };
        }
        const sig = await xadesDetached(file.bytes, file.name, o);
        return {
          fileName: file.name,
          signed: true,
          success: true,
          detail: `XAdES-${level} detached (${signatureFileName('xades', file.name)})${isXmlName && !xmlOk ? '; the .xml file is not well-formed XML, so it was signed detached' : ''}${who}`,
          outputs: [file, { name: signatureFileName('xades', file.name), bytes: sig }],
        };
      }
      default:
        return fail(file, `process ${p.id} has no signature format configured`);
    }
  } catch (e) {
    return fail(file, `"${file.name}" could not be processed: ${(e as Error).message}`);
  }
}
