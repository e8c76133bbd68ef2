import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedData } from '../../../src/signing/cms.js';
import { sha256File, writeEnveloping } from '../../../src/signing/cades-file.js';
import { children, content, ctx, octet, seq, sha256 } from '../../../src/signing/der.js';
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

/**
 * The enveloping form of a detached ContentInfo(SignedData), built in memory with the DER helpers:
 * the same SignedData with `content` in encapContentInfo. ECDSA signatures differ on every run (and
 * in length), so the stream is compared with this rather than with a second signature.
 */
function envelopInMemory(detached: Buffer, data: Buffer): Buffer {
  const [typeOid, explicit] = children(content(detached)) as [Buffer, Buffer];
  const parts = children(content(content(explicit)));
  parts[2] = seq(content(parts[2]!), ctx(0, octet(data)));
  return seq(typeOid, ctx(0, seq(...parts)));
}

describe('CAdES from a file, as a stream', () => {
  // Sizes around the DER length-encoding steps (1, 2, 3 and 4 length bytes).
  it.each([0, 1, 127, 128, 255, 256, 65_535, 65_536, 3 * 1024 * 1024])(
    'a %i-byte file: hash and enveloping .p7m are byte for byte those made in memory',
    async (size) => {
      const content = randomBytes(size);
      const path = join(dir, `c-${size}`);
      writeFileSync(path, content);
      expect((await sha256File(path)).equals(sha256(content))).toBe(true);
      const o = { signer: pki.seal, signingTime: NOW, digest: sha256(content) };
      const detached = buildSignedData({ ...o, attach: false });
      const out = join(dir, `p7m-${size}`);
      await writeEnveloping(detached, path, size, out);
      expect(readFileSync(out).equals(envelopInMemory(detached, content))).toBe(true);
      // RSA PKCS#1 v1.5 signatures are deterministic: then the builder's own enveloping form matches too.
      if (pki.seal.key.asymmetricKeyType === 'rsa') expect(readFileSync(out).equals(buildSignedData({ ...o, content, attach: true }))).toBe(true);
    },
  );

  it('a B-LT SignedData (certificates and revocation values after the content) is enveloped byte for byte', async () => {
    const content = randomBytes(300);
    const path = join(dir, 'c-blt');
    writeFileSync(path, content);
    const detached = buildSignedData({
      signer: pki.seal,
      signingTime: NOW,
      digest: sha256(content),
      attach: false,
      certificates: [pki.seal.cert.der, pki.seal.issuer.der, pki.tsa.cert.der],
      crls: [pki.crlDer],
    });
    const out = join(dir, 'p7m-blt');
    await writeEnveloping(detached, path, content.length, out);
    expect(readFileSync(out).equals(envelopInMemory(detached, content))).toBe(true);
  });
});
