/**
 * Per-file work on files on disk, shared by the sealing processes and the in-process path.
 *
 *   processStoredWith(env, file, ctx, outDir): Promise<StoredOutcome>   // never throws
 *
 * CAdES never reads the file into memory (see cades-file.ts); every other format needs the whole
 * document (a PDF or XML parser), reads it once and writes each output to a new file in `outDir`.
 * An output that is the input itself (a detached signature's data file) keeps the input's path.
 * Files are read and written synchronously, as in cades-file.ts: a sealing process has one file
 * in hand and nothing else to do while it waits.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acceptsFile } from '../domain/processes.js';
import { buildSignedData } from './cms.js';
import { sha256File, writeEnveloping } from './cades-file.js';
import { cadesDetail, type Engine, embedsValidationData, identityFor, processWith, type RevocationData, validationMaterial } from './engine.js';
import { signatureFileName } from './formats.js';
import { failedOutcome, type StoredContext, type StoredFile, type StoredOutcome } from './signer.js';

/** StoredContext plus the revocation data the main process fetched (B-LT seals, validation). */
export interface StoredEngineContext extends StoredContext {
  revocation?: RevocationData;
}

const fail = (file: StoredFile, detail: string): StoredOutcome => failedOutcome(file.name, detail);

export async function processStoredWith(env: Engine, file: StoredFile, ctx: StoredEngineContext, outDir: string): Promise<StoredOutcome> {
  const p = ctx.process;
  const newPath = (): string => join(outDir, `out-${randomUUID()}`);
  try {
    if (p.operation !== 'validate' && p.format === 'CAdES' && acceptsFile(p, file.name)) {
      const level = p.level ?? 'B-B';
      const enveloping = p.packaging === 'enveloping';
      const digest = sha256File(file.path);
      const signer = identityFor(env.pki, ctx.sealIdentity);
      // B-LT: certificate and revocation values go in SignedData.certificates / crls, as in processWith.
      const ltv = embedsValidationData(p) ? validationMaterial(env, signer, ctx.revocation) : undefined;
      const detached = buildSignedData({
        signer,
        digest,
        attach: false,
        signingTime: ctx.now,
        ...(level !== 'B-B' ? { timestamp: (d: Buffer): Buffer => env.tsa.tokenForDigest(d, ctx.now) } : {}),
        ...(ltv ? { certificates: ltv.certs, crls: ltv.crls, ocsps: ltv.ocsps } : {}),
      });
      const out = newPath();
      if (enveloping) writeEnveloping(detached, file.path, statSync(file.path).size, out);
      else writeFileSync(out, detached);
      return {
        fileName: file.name,
        signed: true,
        success: true,
        detail: cadesDetail(level, enveloping, ctx.sealIdentity),
        outputs: enveloping ? [{ name: signatureFileName('p7m', file.name), path: out }] : [file, { name: signatureFileName('p7s', file.name), path: out }],
      };
    }
    const bytes = readFileSync(file.path);
    const sibs = ctx.siblingPaths;
    const outcome = await processWith(
      env,
      { name: file.name, bytes },
      {
        process: p,
        now: ctx.now,
        ...(ctx.sealIdentity ? { sealIdentity: ctx.sealIdentity } : {}),
        ...(sibs ? { siblings: (n: string) => (sibs[n] ? readFileSync(sibs[n]) : undefined) } : {}),
        ...(ctx.revocation ? { revocation: ctx.revocation } : {}),
      },
    );
    const outputs: StoredFile[] = [];
    for (const o of outcome.outputs) {
      if (o.bytes === bytes) {
        outputs.push(file);
        continue;
      }
      const path = newPath();
      writeFileSync(path, o.bytes);
      outputs.push({ name: o.name, path });
    }
    return { ...outcome, outputs };
  } catch (e) {
    return fail(file, `"${file.name}" could not be processed: ${(e as Error).message}`);
  }
}
