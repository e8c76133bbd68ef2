/**
 * Per-file work of the real signer, shared by the worker threads and the in-process path.
 *
 *   processWith(env: Engine, file: InputFile, ctx: EngineContext): Promise<FileOutcome>   // never throws
 */
import type { FileOutcome, InputFile, SignContext } from './signer.js';
import type { Identity, Pki } from './pki-material.js';
import type { Tsa } from './tsa.js';
import { buildSignedData } from './cms.js';
import { acceptsFile } from '../domain/processes.js';

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

export interface Engine {
  pki: Pki;
  tsa: Tsa;
}

/** SignContext minus functions: what crosses to a worker (siblings resolved to bytes by name). */
export interface EngineContext extends Omit<SignContext, 'siblings'> {
  siblings?: (name: string) => Buffer | undefined;
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


/** The sibling names `validate` may need for `name`. */
export function siblingNamesFor(name: string): string[] {
  const out = [`${name}.p7s`, `${name}.xades.xml`];
  if (/\.p7s$/i.test(name)) out.push(name.replace(/\.p7s$/i, ''));
  if (/\.xades\.xml$/i.test(name)) out.push(name.replace(/\.xades\.xml$/i, ''));
  return out;
}

const fail = (file: InputFile, detail: string): FileOutcome => ({ fileName: file.name, signed: false, success: false, detail, outputs: [] });

export async function processWith(env: Engine, file: InputFile, ctx: EngineContext): Promise<FileOutcome> {
  const p = ctx.process;
  try {
    if (!acceptsFile(p, file.name))
      return fail(
        file,
        `process ${p.id} (${p.name}) accepts only ${p.acceptedFileTypes.join(', ')} files; "${file.name}" was not sealed`,
      );
    if (p.operation === 'validate')
      return await (await validate()).validateFile(file, { pki: env.pki, now: ctx.now, ...(ctx.siblings ? { sibling: ctx.siblings } : {}) });

    const signer = identityFor(env.pki, ctx.sealIdentity);
    const level = p.level ?? 'B-B';
    const timestamp = level === 'B-T' ? (d: Buffer): Buffer => env.tsa.tokenForDigest(d, ctx.now) : undefined;
    const who = ctx.sealIdentity && ctx.sealIdentity !== 'default' ? ` with the ${ctx.sealIdentity} TEST seal` : '';
    switch (p.format) {
      case 'PAdES': {
        if (!file.bytes.subarray(0, 1024).includes('%PDF-')) return fail(file, `"${file.name}" is not a PDF (no %PDF- header); PAdES seals PDFs only`);
        let sealed: Buffer;
        try {
          sealed = await (await pades()).padesSeal(file.bytes, { signer, now: ctx.now, ...(timestamp ? { timestamp } : {}) });
        } catch (e) {
          return fail(file, `"${file.name}" could not be sealed as PAdES: the PDF cannot be parsed (${(e as Error).message})`);
        }
        return {
          fileName: file.name,
          signed: true,
          success: true,
          detail: `PAdES-${level} (ETSI.CAdES.detached)${who}${
            file.bytes.includes('/ByteRange') ? '; note: the PDF was already signed, and re-saving it (no incremental update) invalidates the earlier signature' : ''
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
        });
        return {
          fileName: file.name,
          signed: true,
          success: true,
          detail: `CAdES-${level} ${enveloping ? 'enveloping (.p7m)' : 'detached (.p7s)'}${who}`,
          outputs: enveloping ? [{ name: `${file.name}.p7m`, bytes: cms }] : [file, { name: `${file.name}.p7s`, bytes: cms }],
        };
      }
      case 'XAdES': {
        const { parseXml, xadesDetached, xadesEnveloped } = await xades();
        const o = { signer, now: ctx.now, ...(timestamp ? { timestamp } : {}) };
        const isXmlName = /\.xml$/i.test(file.name);
        let xmlOk = false;
        if (isXmlName || file.bytes.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart().startsWith('<?xml')) {
          try {
            parseXml(file.bytes);
            xmlOk = true;
          } catch {
            xmlOk = false;
          }
        }
        if (xmlOk && p.packaging !== 'detached') {
          const sealed = await xadesEnveloped(file.bytes, o);
          return { fileName: file.name, signed: true, success: true, detail: `XAdES-${level} enveloped${who}`, outputs: [{ name: file.name, bytes: sealed }] };
        }
        const sig = await xadesDetached(file.bytes, file.name, o);
        return {
          fileName: file.name,
          signed: true,
          success: true,
          detail: `XAdES-${level} detached (${file.name}.xades.xml)${isXmlName && !xmlOk ? '; the .xml file is not well-formed XML, so it was signed detached' : ''}${who}`,
          outputs: [file, { name: `${file.name}.xades.xml`, bytes: sig }],
        };
      }
      default:
        return fail(file, `process ${p.id} has no signature format configured`);
    }
  } catch (e) {
    return fail(file, `"${file.name}" could not be processed: ${(e as Error).message}`);
  }
}
