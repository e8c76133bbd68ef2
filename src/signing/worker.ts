/**
 * Worker-thread entry of the real signer's pool. Receives the PKI as PEM material (never
 * regenerates keys), then per-file tasks; answers each with its FileOutcome.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pkiFromMaterial, type PkiMaterial } from './pki-material.js';
import { createTsa } from './tsa.js';
import { preloadFormats, processWith } from './engine.js';
import type { ProcessDef } from '../domain/process.js';
import type { SignContext } from './signer.js';
import type { ValidationLimits } from './validate.js';

export interface WorkerTask {
  id: number;
  file: { name: string; bytes: Uint8Array };
  process: ProcessDef;
  now: number;
  sealIdentity?: SignContext['sealIdentity'];
  siblings?: Record<string, Uint8Array>;
  revocation?: { crls: Uint8Array[]; ocsps: Uint8Array[] };
}

const port = parentPort;
if (port) {
  const data = workerData as { material: PkiMaterial; validation?: ValidationLimits };
  const pki = pkiFromMaterial(data.material);
  const env = { pki, tsa: createTsa(pki), ...(data.validation ? { validation: data.validation } : {}) };
  // Warm up in the background, then tell the pool this worker is ready.
  void preloadFormats().then(
    () => port.postMessage({ ready: true }),
    (e: unknown) => port.postMessage({ ready: true, warning: (e as Error)?.message ?? String(e) }),
  );
  const u8 = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  port.on('message', (t: WorkerTask) => {
    const sib = t.siblings;
    void processWith(env, { name: t.file.name, bytes: u8(t.file.bytes) }, {
      process: t.process,
      now: new Date(t.now),
      ...(t.sealIdentity ? { sealIdentity: t.sealIdentity } : {}),
      ...(sib ? { siblings: (n: string) => (sib[n] ? u8(sib[n]) : undefined) } : {}),
      ...(t.revocation ? { revocation: { crls: t.revocation.crls.map(u8), ocsps: t.revocation.ocsps.map(u8) } } : {}),
    }).then(
      (outcome) => {
        // Tight copies, transferred (outputs may be views into larger buffers).
        const transfer: ArrayBuffer[] = [];
        const outputs = outcome.outputs.map((f) => {
          const c = new Uint8Array(f.bytes);
          transfer.push(c.buffer as ArrayBuffer);
          return { name: f.name, bytes: c };
        });
        port.postMessage({ id: t.id, outcome: { ...outcome, outputs } }, transfer);
      },
      (e: unknown) => port.postMessage({ id: t.id, error: (e as Error)?.message ?? String(e) }),
    );
  });
}
