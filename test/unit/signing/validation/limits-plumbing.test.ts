import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealSigner, type RealSigner } from '../../../../src/signing/real-signer.js';
import type { Pki } from '../../../../src/signing/pki.js';
import { processById, sharedPki } from '../helpers.js';
import { byteRangeBomb } from '../../../robustness/hostile-documents/cases/validate-byterange-bomb.js';

let pki: Pki;
const signers: RealSigner[] = [];
beforeAll(async () => {
  pki = (await sharedPki()).pki;
});
afterAll(async () => {
  await Promise.all(signers.map((s) => s.close()));
});

describe('SEAL_SIM_MAX_SIGNATURES_PER_FILE reaches the validator', () => {
  it.each([0, 1])(
    'with %d signer thread(s)',
    async (threads) => {
      const signer = createRealSigner({ pki, threads, validation: { maxSignaturesPerFile: 2 } });
      signers.push(signer);
      const ctx = { process: processById(4), now: new Date() };
      const three = await signer.processFile({ name: 'three.pdf', bytes: byteRangeBomb(3, 4096) }, ctx);
      expect(three.success).toBe(false);
      expect(three.detail).toMatch(/more than 2 PDF signature fields/);
      const two = await signer.processFile({ name: 'two.pdf', bytes: byteRangeBomb(2, 4096) }, ctx);
      expect(two.detail).not.toMatch(/more than/);
      expect(two.detail).toMatch(/FORMAT_FAILURE/);
    },
    60_000,
  );
});
