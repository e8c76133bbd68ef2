/**
 * The simulator's test PKI: a root CA, a qualified-e-seal-shaped seal certificate, a
 * TSA certificate with a critical timeStamping EKU, and an empty CRL. Also two fault-injection seal
 * identities: one expired (same CA), one issued by a separate "untrusted TEST CA".
 *
 * Public API:
 *   loadOrCreatePki(opts: LoadOrCreatePkiOptions): Promise<Pki>
 *   pkiFromMaterial(m: PkiMaterial): Pki          // synchronous; used by worker threads (pki-material.ts)
 *
 * Everything is generated once and persisted as PEM/DER under `opts.dir`; a second call with the
 * same dir loads the same material (never regenerates). Keys are never generated per request.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, randomUUID, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile, rename, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { oid, seq, sha256 } from './der.js';
import { pemToDer, pkiFromMaterial, toPem, type KeyAlgorithm, type Pki, type PkiMaterial } from './pki-material.js';

export * from './pki-material.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface LoadOrCreatePkiOptions {
  /** Directory where the PKI is persisted (created if missing). */
  dir: string;
  /** Pin a CA across machines: PEM certificate and PKCS#8 PEM key of an existing CA. */
  caCertPemPath?: string;
  caKeyPemPath?: string;
  /** Default RSA-2048 (broadest verifier support; ≈0.3 ms per signature, ≈100 ms per key once). */
  keyAlgorithm?: KeyAlgorithm;
  /** URL put in the seal certificate's CRL distribution point. */
  crlUrl?: string;
}

const FILES = {
  meta: 'pki.json',
  ca: 'ca.pem',
  caKey: 'ca.key.pem',
  caDer: 'ca.der',
  crl: 'ca.crl',
  seal: 'seal.pem',
  sealKey: 'seal.key.pem',
  tsa: 'tsa.pem',
  tsaKey: 'tsa.key.pem',
  expired: 'seal-expired.pem',
  expiredKey: 'seal-expired.key.pem',
  untrustedCa: 'untrusted-ca.pem',
  untrustedCaKey: 'untrusted-ca.key.pem',
  untrusted: 'seal-untrusted.pem',
  untrustedKey: 'seal-untrusted.key.pem',
} as const;

const OID_QC_STATEMENTS = '1.3.6.1.5.5.7.1.3';
const POLICY_QCP_L_QSCD = '0.4.0.194112.1.3';
const DAY = 86_400_000;

/** QCStatements: QcCompliance, QcSSCD, QcType = eseal (hand-encoded). */
function qcStatementsDer(): Buffer {
  const o = (x: string): Buffer => seq(oid(x));
  return seq(o('0.4.0.1862.1.1'), o('0.4.0.1862.1.4'), seq(oid('0.4.0.1862.1.6'), o('0.4.0.1862.1.6.2')));
}

function algParams(alg: KeyAlgorithm): { gen: RsaHashedKeyGenParams | EcKeyGenParams; sign: Algorithm | EcdsaParams } {
  return alg === 'RSA-2048'
    ? {
        gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        sign: { name: 'RSASSA-PKCS1-v1_5' },
      }
    : { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams };
}

async function genKeys(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algParams(alg).gen, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k));
  return toPem(der, 'PRIVATE KEY');
}

/** Imports a PKCS#8 PEM as a webcrypto key for @peculiar/x509 (P16: no KeyObject#toCryptoKey in Node 20). */
async function importSigningKey(pem: string, alg: KeyAlgorithm): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  const params = alg === 'RSA-2048' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
  return webcrypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
}

function detectAlg(keyPemStr: string): KeyAlgorithm {
  return createPrivateKey(keyPemStr).asymmetricKeyType === 'ec' ? 'ECDSA-P256' : 'RSA-2048';
}

const rndSerial = (): string => {
  const b = webcrypto.getRandomValues(new Uint8Array(12));
  b[0] = (b[0]! & 0x7f) | 0x01; // positive, non-zero
  return Buffer.from(b).toString('hex');
};

async function makeCa(name: string, alg: KeyAlgorithm, now: Date): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  const keys = await genKeys(alg);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: rndSerial(),
    name,
    notBefore: new Date(now.getTime() - 5 * 365 * DAY),
    notAfter: new Date(now.getTime() + 20 * 365 * DAY),
    signingAlgorithm: algParams(alg).sign,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

interface LeafSpec {
  subject: string;
  kind: 'seal' | 'tsa';
  notBefore: Date;
  notAfter: Date;
}

async function makeLeaf(
  spec: LeafSpec,
  issuer: x509.X509Certificate,
  issuerKey: CryptoKey,
  alg: KeyAlgorithm,
  crlUrl: string,
): Promise<{ pem: string; keyPem: string }> {
  const keys = await genKeys(alg);
  const ext: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    await x509.AuthorityKeyIdentifierExtension.create(issuer, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (spec.kind === 'seal') {
    ext.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
      new x509.CertificatePolicyExtension([POLICY_QCP_L_QSCD]),
      new x509.CRLDistributionPointsExtension([crlUrl]),
      new x509.Extension(OID_QC_STATEMENTS, false, new Uint8Array(qcStatementsDer())),
      // No EKU on the seal certificate: `openssl cms -verify` checks the S/MIME signing purpose by
      // default and refuses a certificate whose EKU is documentSigning; with no EKU it passes.
    );
  } else {
    ext.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true), // critical (P5)
      new x509.CRLDistributionPointsExtension([crlUrl]),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: rndSerial(),
    subject: spec.subject,
    issuer: issuer.subjectName,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    signingAlgorithm: algParams(alg).sign,
    publicKey: keys.publicKey,
    signingKey: issuerKey,
    extensions: ext,
  });
  return { pem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: path.endsWith('key.pem') ? 0o600 : 0o644 });
  await rename(tmp, path);
}

const SEAL_SUBJECT = 'CN=Seal Simulator TEST Seal, O=Seal Simulator TEST Organisation, 2.5.4.97=VATFI-12345678, C=FI';
const EXPIRED_SUBJECT = 'CN=Seal Simulator TEST Seal (expired), O=Seal Simulator TEST Organisation, 2.5.4.97=VATFI-12345678, C=FI';
const UNTRUSTED_SUBJECT = 'CN=Seal Simulator TEST Seal (untrusted), O=Seal Simulator TEST Organisation, 2.5.4.97=VATFI-12345678, C=FI';
const TSA_SUBJECT = 'CN=Seal Simulator TEST TSA, O=Seal Simulator TEST ONLY, C=FI';
const CA_NAME = 'CN=Seal Simulator TEST Root CA, O=Seal Simulator TEST ONLY, C=FI';
const UNTRUSTED_CA_NAME = 'CN=Seal Simulator untrusted TEST CA, O=Seal Simulator TEST ONLY (not in the trust list), C=FI';

interface Meta {
  keyAlgorithm: KeyAlgorithm;
  caSha256: string;
  createdAt: string;
}

/** Who holds the PKI lock: host, pid, and a token that tells this run from an earlier one with the same pid. */
const LOCK_OWNER = JSON.stringify({ host: hostname(), pid: process.pid, run: randomUUID() });

/**
 * A lock left by a process that no longer runs (killed with SIGKILL while loading the PKI): on
 * this host, its pid is gone, or is ours but from an earlier run (a restarted container is pid 1
 * again). Without this, the next start waited for the lock to be 60 s old before sealing anything.
 * A lock from another host (a shared volume) is left to the age rule.
 */
async function lockOwnerIsGone(lock: string): Promise<boolean> {
  let owner: { host?: unknown; pid?: unknown; run?: unknown };
  try {
    owner = JSON.parse(await readFile(join(lock, 'owner'), 'utf8')) as typeof owner;
  } catch {
    return false; // being written right now, or unreadable: the age rule decides
  }
  if (owner.host !== hostname() || typeof owner.pid !== 'number') return false;
  if (owner.pid === process.pid) return owner.run !== JSON.parse(LOCK_OWNER).run;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Loads the PKI persisted under `opts.dir`, generating whatever is missing (once). With
 * `caCertPemPath` + `caKeyPemPath`, that CA issues the seal/TSA certificates; leaf certificates
 * persisted for another CA are re-issued.
 */
export async function loadOrCreatePki(opts: LoadOrCreatePkiOptions): Promise<Pki> {
  await mkdir(opts.dir, { recursive: true });
  // Two processes starting on the same data dir must not generate two half-PKIs.
  const lock = join(opts.dir, '.pki.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'owner'), LOCK_OWNER).catch(() => {});
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await stat(lock).catch(() => undefined);
      if ((st && Date.now() - st.mtimeMs > 60_000) || (await lockOwnerIsGone(lock))) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`PKI dir ${opts.dir} is locked by another process (${lock})`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await loadOrCreateLocked(opts);
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function loadOrCreateLocked(opts: LoadOrCreatePkiOptions): Promise<Pki> {
  const dir = opts.dir;
  const p = (f: string): string => join(dir, f);
  const crlUrl = opts.crlUrl ?? 'http://localhost:8080/_simulator/pki/ca.crl';
  const now = new Date();

  // 1. CA
  let caPem: string;
  let caKeyPemStr: string;
  if (opts.caCertPemPath && opts.caKeyPemPath) {
    caPem = await readFile(opts.caCertPemPath, 'utf8');
    caKeyPemStr = await readFile(opts.caKeyPemPath, 'utf8');
  } else if (existsSync(p(FILES.ca)) && existsSync(p(FILES.caKey))) {
    caPem = await readFile(p(FILES.ca), 'utf8');
    caKeyPemStr = await readFile(p(FILES.caKey), 'utf8');
  } else {
    const alg = opts.keyAlgorithm ?? 'RSA-2048';
    const { cert, keys } = await makeCa(CA_NAME, alg, now);
    caPem = cert.toString('pem') + '\n';
    caKeyPemStr = await keyPem(keys.privateKey);
  }
  const caAlg = detectAlg(caKeyPemStr);
  {
    const certKey = new X509Certificate(pemToDer(caPem)).publicKey.export({ type: 'spki', format: 'der' });
    const keyPub = createPublicKey(createPrivateKey(caKeyPemStr)).export({ type: 'spki', format: 'der' });
    if (!certKey.equals(keyPub)) throw new Error('the CA key does not belong to the CA certificate (caCertPemPath / caKeyPemPath)');
    if (!new X509Certificate(pemToDer(caPem)).ca) throw new Error('the CA certificate given is not a CA (basicConstraints cA is not true)');
  }
  const caSha = sha256(pemToDer(caPem)).toString('hex');

  let meta: Meta | undefined;
  if (existsSync(p(FILES.meta))) {
    try {
      meta = JSON.parse(await readFile(p(FILES.meta), 'utf8')) as Meta;
    } catch {
      meta = undefined;
    }
  }
  const alg: KeyAlgorithm = meta?.keyAlgorithm ?? opts.keyAlgorithm ?? caAlg;
  const leafNames = [FILES.seal, FILES.sealKey, FILES.tsa, FILES.tsaKey, FILES.expired, FILES.expiredKey, FILES.crl];
  const untrustedNames = [FILES.untrustedCa, FILES.untrustedCaKey, FILES.untrusted, FILES.untrustedKey];
  const leavesOk = meta !== undefined && meta.caSha256 === caSha && leafNames.every((f) => existsSync(p(f)));

  // Seal, TSA and untrusted seal are valid from five years ago for ten years; the expired seal ended yesterday.
  const current = { notBefore: new Date(now.getTime() - 5 * 365 * DAY), notAfter: new Date(now.getTime() + 10 * 365 * DAY) };
  const lapsed = { notBefore: new Date(now.getTime() - 2 * 365 * DAY), notAfter: new Date(now.getTime() - DAY) };
  const writeLeaf = async (certFile: string, keyFile: string, leaf: { pem: string; keyPem: string }) => {
    await writeAtomic(p(certFile), leaf.pem);
    await writeAtomic(p(keyFile), leaf.keyPem);
  };

  if (!leavesOk) {
    const caCert = new x509.X509Certificate(caPem);
    const caKey = await importSigningKey(caKeyPemStr, caAlg);
    const leaf = (subject: string, kind: 'seal' | 'tsa', validity: typeof current) => makeLeaf({ subject, kind, ...validity }, caCert, caKey, alg, crlUrl);
    const seal = await leaf(SEAL_SUBJECT, 'seal', current);
    const tsa = await leaf(TSA_SUBJECT, 'tsa', current);
    const expired = await leaf(EXPIRED_SUBJECT, 'seal', lapsed);
    const crl = await x509.X509CrlGenerator.create({
      issuer: caCert.subjectName,
      thisUpdate: new Date(now.getTime() - DAY),
      nextUpdate: new Date(now.getTime() + 10 * 365 * DAY),
      signingAlgorithm: algParams(caAlg).sign,
      signingKey: caKey,
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(caCert, false)],
      entries: [],
    });
    await writeLeaf(FILES.seal, FILES.sealKey, seal);
    await writeLeaf(FILES.tsa, FILES.tsaKey, tsa);
    await writeLeaf(FILES.expired, FILES.expiredKey, expired);
    await writeAtomic(p(FILES.crl), Buffer.from(crl.rawData));
  }
  if (!untrustedNames.every((f) => existsSync(p(f)))) {
    const u = await makeCa(UNTRUSTED_CA_NAME, alg, now);
    const useal = await makeLeaf({ subject: UNTRUSTED_SUBJECT, kind: 'seal', ...current }, u.cert, u.keys.privateKey, alg, crlUrl);
    await writeAtomic(p(FILES.untrustedCa), u.cert.toString('pem') + '\n');
    await writeAtomic(p(FILES.untrustedCaKey), await keyPem(u.keys.privateKey));
    await writeLeaf(FILES.untrusted, FILES.untrustedKey, useal);
  }
  // The CA as served (/_simulator/pki/ca.pem, ca.der) is always written to dir.
  if (!existsSync(p(FILES.ca)) || !existsSync(p(FILES.caDer)) || (await readFile(p(FILES.ca), 'utf8')) !== caPem) {
    await writeAtomic(p(FILES.ca), caPem);
    await writeAtomic(p(FILES.caDer), pemToDer(caPem));
  }
  if (!opts.caKeyPemPath && !existsSync(p(FILES.caKey))) await writeAtomic(p(FILES.caKey), caKeyPemStr);
  if (!leavesOk) {
    const m: Meta = { keyAlgorithm: alg, caSha256: caSha, createdAt: now.toISOString() };
    await writeAtomic(p(FILES.meta), JSON.stringify(m, null, 2) + '\n');
  }

  const material: PkiMaterial = {
    keyAlgorithm: alg,
    caPem,
    crlDerB64: (await readFile(p(FILES.crl))).toString('base64'),
    sealPem: await readFile(p(FILES.seal), 'utf8'),
    sealKeyPem: await readFile(p(FILES.sealKey), 'utf8'),
    tsaPem: await readFile(p(FILES.tsa), 'utf8'),
    tsaKeyPem: await readFile(p(FILES.tsaKey), 'utf8'),
    expiredSealPem: await readFile(p(FILES.expired), 'utf8'),
    expiredSealKeyPem: await readFile(p(FILES.expiredKey), 'utf8'),
    untrustedCaPem: await readFile(p(FILES.untrustedCa), 'utf8'),
    untrustedSealPem: await readFile(p(FILES.untrusted), 'utf8'),
    untrustedSealKeyPem: await readFile(p(FILES.untrustedKey), 'utf8'),
  };
  return pkiFromMaterial(material);
}
