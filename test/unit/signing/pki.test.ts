import { afterAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { cacheFolder, loadOrCreatePki, loadTestPki, pkiFromMaterial } from '../../../src/signing/pki.js';
import { tempPki } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('test PKI', () => {
  let first: Awaited<ReturnType<typeof tempPki>> | undefined;
  const rsaPki = async (): Promise<Awaited<ReturnType<typeof tempPki>>> => {
    if (!first) {
      first = await tempPki();
      cleanups.push(first.cleanup);
    }
    return first;
  };

  it('is generated once and loaded again from the same dir', async () => {
    const a = await rsaPki();
    for (const f of ['ca.pem', 'ca.der', 'seal.pem', 'tsa.pem', 'ocsp.pem', 'seal-expired.pem', 'seal-revoked.pem', 'seal-untrusted.pem', 'untrusted-ca.pem'])
      expect(existsSync(join(a.dir, f)), f).toBe(true);
    const b = await loadOrCreatePki({ dir: a.dir });
    expect(b.ca.der.equals(a.pki.ca.der)).toBe(true);
    expect(b.seal.cert.der.equals(a.pki.seal.cert.der)).toBe(true);
    expect(b.tsa.cert.der.equals(a.pki.tsa.cert.der)).toBe(true);
    expect(b.ocsp.cert.der.equals(a.pki.ocsp.cert.der)).toBe(true);
    expect(b.untrustedCa.der.equals(a.pki.untrustedCa.der)).toBe(true);
  });

  it('has a qualified e-seal profile (README: seals and the test PKI); every name says TEST', async () => {
    const { pki } = await rsaPki();
    expect(pki.keyAlgorithm).toBe('ECDSA-P256'); // the default
    expect(pki.seal.key.asymmetricKeyType).toBe('ec');
    const ca = new X509Certificate(pki.ca.der);
    const seal = new X509Certificate(pki.seal.cert.der);
    const tsa = new X509Certificate(pki.tsa.cert.der);
    for (const c of [ca, seal, tsa, new X509Certificate(pki.untrustedCa.der), new X509Certificate(pki.expiredSeal.cert.der)]) expect(c.subject).toMatch(/TEST/);
    expect(ca.ca).toBe(true);
    expect(seal.checkIssued(ca) && seal.verify(ca.publicKey)).toBe(true);
    expect(tsa.checkIssued(ca) && tsa.verify(ca.publicKey)).toBe(true);
    expect(seal.subject).toContain('organizationIdentifier=VATFI-12345678');
    const sealLegacy = seal.toLegacyObject();
    expect(sealLegacy.ext_key_usage).toBeUndefined(); // a seal certificate carries no EKU: a qualified-seal profile puts none on it
    // QCStatements, policy, CRL DP: present in the DER
    const hex = pki.seal.cert.der.toString('hex');
    expect(hex).toContain('06082b06010505070103'); // id-pe-qcStatements
    expect(hex).toContain('0604008e460101'); // QcCompliance
    expect(hex).toContain('0604008e460104'); // QcSSCD
    expect(hex).toContain('0606' + '04008e460106' + '3009' + '0607' + '04008e46010602'); // QcType { eseal }
    expect(hex).toContain('0607' + '04008bec400103'); // policy 0.4.0.194112.1.3 (QCP-l-qscd)
    // CRL distribution point and AIA (OCSP + caIssuers) under the public URL (default http://127.0.0.1:8080)
    expect(seal.infoAccess).toContain('OCSP - URI:http://127.0.0.1:8080/_simulator/pki/ocsp');
    expect(seal.infoAccess).toContain('CA Issuers - URI:http://127.0.0.1:8080/_simulator/pki/ca.der');
    expect(pki.seal.cert.der.includes(Buffer.from('http://127.0.0.1:8080/_simulator/pki/ca.crl'))).toBe(true);
    expect(pki.tsa.cert.der.includes(Buffer.from('http://127.0.0.1:8080/_simulator/pki/ca.crl'))).toBe(true);
    expect(tsa.infoAccess).toContain('OCSP - URI:http://127.0.0.1:8080/_simulator/pki/ocsp');
    // the delegated OCSP responder: OCSPSigning EKU, id-pkix-ocsp-nocheck, no OCSP address of its own
    const ocsp = new X509Certificate(pki.ocsp.cert.der);
    expect(ocsp.checkIssued(ca) && ocsp.verify(ca.publicKey)).toBe(true);
    expect(ocsp.keyUsage).toEqual(['1.3.6.1.5.5.7.3.9']);
    expect(pki.ocsp.cert.der.toString('hex')).toContain('06092b0601050507300105' + '0402' + '0500'); // nocheck, NULL
    expect(ocsp.infoAccess ?? '').not.toContain('OCSP');
    // the revoked fault identity: same CA, currently valid
    const revoked = new X509Certificate(pki.revokedSeal.cert.der);
    expect(revoked.checkIssued(ca) && revoked.verify(ca.publicKey)).toBe(true);
    expect(revoked.subject).toContain('(revoked)');
    // TSA: critical timeStamping EKU
    expect(tsa.toLegacyObject().ext_key_usage).toEqual(['1.3.6.1.5.5.7.3.8']);
    expect(pki.tsa.cert.der.toString('hex')).toContain('30160603551d250101ff040c300a06082b06010505070308');
    // the two fault identities
    expect(new Date(pki.expiredSeal.cert.notAfter).getTime()).toBeLessThan(Date.now());
    const u = new X509Certificate(pki.untrustedSeal.cert.der);
    expect(u.checkIssued(ca)).toBe(false);
    expect(u.checkIssued(new X509Certificate(pki.untrustedCa.der))).toBe(true);
  });

  it('issues seal and TSA certificates from a pinned CA given as PEM files', async () => {
    const base = await tempPki({ keyAlgorithm: 'ECDSA-P256' });
    cleanups.push(base.cleanup);
    const dir = mkdtempSync(join(tmpdir(), 'sealsim-pinned-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pinned = await loadOrCreatePki({ dir, caCertPemPath: join(base.dir, 'ca.pem'), caKeyPemPath: join(base.dir, 'ca.key.pem') });
    expect(pinned.ca.der.equals(base.pki.ca.der)).toBe(true);
    expect(pinned.seal.cert.der.equals(base.pki.seal.cert.der)).toBe(false);
    const ca = new X509Certificate(base.pki.ca.der);
    expect(new X509Certificate(pinned.seal.cert.der).verify(ca.publicKey)).toBe(true);
    expect(existsSync(join(dir, 'ca.pem'))).toBe(true);
    expect(existsSync(join(dir, 'ca.key.pem'))).toBe(false); // the pinned key is not copied
    const again = await loadOrCreatePki({ dir, caCertPemPath: join(base.dir, 'ca.pem'), caKeyPemPath: join(base.dir, 'ca.key.pem') });
    expect(again.seal.cert.der.equals(pinned.seal.cert.der)).toBe(true);
    expect(pinned.seal.key.asymmetricKeyType).toBe('ec');
  });

  it('round-trips through PEM material for worker threads', async () => {
    const { pki } = await rsaPki();
    const copy = pkiFromMaterial(structuredClone(pki.material));
    expect(copy.seal.cert.der.equals(pki.seal.cert.der)).toBe(true);
    expect(copy.seal.key.export({ type: 'pkcs8', format: 'der' }).equals(pki.seal.key.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
  });

  it('keeps RSA-2048 selectable', async () => {
    // RSA keys take seconds each: a key cache kept in $TMPDIR makes reruns quick (the certificates are still issued here).
    const rsa = await tempPki({ keyAlgorithm: 'RSA-2048', cacheDir: join(tmpdir(), 'sealsim-unit-key-cache') });
    cleanups.push(rsa.cleanup);
    expect(rsa.pki.keyAlgorithm).toBe('RSA-2048');
    expect(rsa.pki.seal.key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(rsa.pki.ca.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const seal = new X509Certificate(rsa.pki.seal.cert.der);
    expect(seal.verify(new X509Certificate(rsa.pki.ca.der).publicKey)).toBe(true);
    // a directory keeps its key type whatever a later start asks for
    const again = await loadOrCreatePki({ dir: rsa.dir, keyAlgorithm: 'ECDSA-P256' });
    expect(again.seal.cert.der.equals(rsa.pki.seal.cert.der)).toBe(true);
  });

  it('a fresh data dir adopts the CA and keys of the per-user cache; a new public URL re-issues leaves with the same keys', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sealsim-cache-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const cacheDir = join(root, 'cache');
    const a = await loadTestPki({ dir: join(root, 'a'), cacheDir, publicUrl: 'http://127.0.0.1:1111' });
    const b = await loadTestPki({ dir: join(root, 'b'), cacheDir, publicUrl: 'http://sim.example:2222/' });
    expect(b.pki.ca.der.equals(a.pki.ca.der)).toBe(true);
    expect(b.pki.seal.keyPem).toBe(a.pki.seal.keyPem);
    expect(b.pki.untrustedCa.der.equals(a.pki.untrustedCa.der)).toBe(true);
    expect(b.pki.seal.cert.der.equals(a.pki.seal.cert.der)).toBe(false); // other URL, other certificate
    expect(new X509Certificate(b.pki.seal.cert.der).infoAccess).toContain('http://sim.example:2222/_simulator/pki/ocsp');
    expect(b.pki.publicUrl).toBe('http://sim.example:2222');
    // the cache is private: folder 0700, keys 0600
    const folder = cacheFolder(cacheDir, 'ECDSA-P256');
    const { statSync } = await import('node:fs');
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(join(folder, 'ca.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'a', 'seal.key.pem')).mode & 0o777).toBe(0o600);
    // same dir, new URL: leaves issued again, keys and CA kept
    const a2 = await loadTestPki({ dir: join(root, 'a'), cacheDir, publicUrl: 'http://seal-simulator:8080' });
    expect(a2.pki.ca.der.equals(a.pki.ca.der)).toBe(true);
    expect(a2.pki.seal.keyPem).toBe(a.pki.seal.keyPem);
    expect(a2.pki.seal.cert.der.equals(a.pki.seal.cert.der)).toBe(false);
    expect(a2.pki.seal.cert.der.includes(Buffer.from('http://seal-simulator:8080/_simulator/pki/ca.crl'))).toBe(true);
    // same dir, same URL: nothing issued
    const a3 = await loadTestPki({ dir: join(root, 'a'), cacheDir, publicUrl: 'http://seal-simulator:8080' });
    expect(a3.pki.seal.cert.der.equals(a2.pki.seal.cert.der)).toBe(true);
    expect(readFileSync(join(root, 'a', 'pki.json'), 'utf8')).toContain('"publicUrl": "http://seal-simulator:8080"');
  });

  it('stops when aborted and writes nothing more into the directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sealsim-abort-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const ac = new AbortController();
    const loading = loadTestPki({ dir: join(root, 'd'), keyAlgorithm: 'ECDSA-P256', signal: ac.signal });
    ac.abort(new Error('closing'));
    await expect(loading).rejects.toThrow(/closing/);
    const { readdirSync } = await import('node:fs');
    const left = existsSync(join(root, 'd')) ? readdirSync(join(root, 'd')) : [];
    expect(left.filter((f) => f.endsWith('.pem'))).toEqual([]);
  });

  it('two concurrent loads of one dir agree on one PKI (lock)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealsim-race-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [a, b] = await Promise.all([loadOrCreatePki({ dir, keyAlgorithm: 'ECDSA-P256' }), loadOrCreatePki({ dir, keyAlgorithm: 'ECDSA-P256' })]);
    expect(a.ca.der.equals(b.ca.der)).toBe(true);
    expect(a.seal.cert.der.equals(b.seal.cert.der)).toBe(true);
    expect(existsSync(join(dir, '.pki.lock'))).toBe(false);
  });

  it('refuses a pinned CA whose key does not match its certificate', async () => {
    const a = await rsaPki();
    const dir = mkdtempSync(join(tmpdir(), 'sealsim-mismatch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    await expect(loadOrCreatePki({ dir, caCertPemPath: join(a.dir, 'ca.pem'), caKeyPemPath: join(a.dir, 'seal.key.pem') })).rejects.toThrow(/does not belong/);
  });
});
