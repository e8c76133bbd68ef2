import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedData } from '../../../src/signing/cms.js';
import { sha256File, writeEnveloping } from '../../../src/signing/cades-file.js';
import { sha256 } from '../../../src/signing/der.js';
import type { Pki } from '../../../src/signing/pki.js';
import { NOW, sharedPki } from './helpers.js';

let pki: Pki;
let cleanup: () => void;
let dir: string;
beforeAll(async () => {
  ({ pki, cleanup } = await sharedPki());
  dir = mkdtempSync(join(tmpdir(), 'seal-cades-file-'));
}, 120_000);
afterAll(() => {
  cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('CAdES from a file, as a stream', () => {
  // Sizes around the DER length-encoding steps (1, 2, 3 and 4 length bytes).
  it.each([0, 1, 127, 128, 255, 256, 65_535, 65_536, 3 * 1024 * 1024])('a %i-byte file: hash and enveloping .p7m are byte for byte those made in memory', async (size) => {
    const content = randomBytes(size);
    const path = join(dir, `c-${size}`);
    writeFileSync(path, content);
    expect((await sha256File(path)).equals(sha256(content))).toBe(true);
    const o = { signer: pki.seal, signingTime: NOW, digest: sha256(content) };
    const detached = buildSignedData({ ...o, attach: false });
    const inMemory = buildSignedData({ ...o, content, attach: true });
    const out = join(dir, `p7m-${size}`);
    await writeEnveloping(detached, path, size, out);
    // RSA PKCS#1 v1.5 signatures are deterministic: the same attributes give the same bytes.
    if (pki.seal.key.asymmetricKeyType === 'rsa') expect(readFileSync(out).equals(inMemory)).toBe(true);
    else expect(readFileSync(out).length).toBe(inMemory.length);
  });
});
