/**
 * The simulator's test PKI: a root CA, a qualified-e-seal-shaped seal certificate, a TSA
 * certificate with a critical timeStamping EKU, and a delegated OCSP responder. Also three
 * fault-injection seal identities: one expired and one revoked (same CA), one issued by a separate
 * "untrusted TEST CA".
 *
 * Public API:
 *   loadTestPki(opts): Promise<{ pki, caKey }>    // caKey: for CRLs (revocation.ts); never sent to workers
 *   loadOrCreatePki(opts): Promise<Pki>
 *   pkiFromMaterial(m: PkiMaterial): Pki          // synchronous; used by sealing processes (pki-material.ts)
 *
 * Keys: the data directory's own (<dir>), else the per-user key cache (<cacheDir>/pki-<alg>/,
 * generated there once and adopted by every fresh data directory), else generated. Certificates:
 * issued into <dir>, and issued again (same keys) when the CA or the public URL changes, because
 * every leaf names CRL and OCSP addresses under that URL.
 */
import { createPrivateKey as parsePrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile, rename, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { nul, oid, seq, sha256 } from './der.js';
import { ATTR, generateKeyPem, issueCertificate, KU, type Rdn } from './cert-builder.js';
import { keyIdOf } from './ocsp.js';
import { lockRun } from './lock-run.js';
import { OID } from './oids.js';
import { certInfo, pemToDer, pkiFromMaterial, toPem, type CertInfo, type KeyAlgorithm, type Pki, type PkiMaterial } from './pki-material.js';

export * from './pki-material.js';

export interface LoadOrCreatePkiOptions {
  /** Directory where the PKI is persisted (created if missing). */
  dir: string;
  /** Pin a CA across machines: PEM certificate and PKCS#8 PEM key of an existing CA. */
  caCertPemPath?: string | undefined;
  caKeyPemPath?: string | undefined;
  /** Key type of a newly made PKI (default ECDSA-P256). A directory that holds a PKI keeps its own. */
  keyAlgorithm?: KeyAlgorithm | undefined;
  /**
   * Base URL the certificates point to for the CRL (<url>/_simulator/pki/ca.crl), the CA
   * certificate (…/ca.der) and OCSP (…/ocsp). Default http://127.0.0.1:8080.
   */
  publicUrl?: string | undefined;
  /**
   * Per-user key cache (keys and CAs reused across data directories), or null for none. Default none.
   */
  cacheDir?: string | null | undefined;
  /** Stops between steps (each key, each file) when aborted: closing must not wait for key generation. */
  signal?: AbortSignal | undefined;
}

export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'ECDSA-P256';

/** Files of a data directory's PKI. Key files end in `key.pem` (mode 0600). */
const FILES = {
  meta: 'pki.json',
  ca: 'ca.pem',
  caKey: 'ca.key.pem',
  caDer: 'ca.der',
  seal: 'seal.pem',
  sealKey: 'seal.key.pem',
  tsa: 'tsa.pem',
  tsaKey: 'tsa.key.pem',
  expired: 'seal-expired.pem',
  expiredKey: 'seal-expired.key.pem',
  revoked: 'seal-revoked.pem',
  revokedKey: 'seal-revoked.key.pem',
  ocsp: 'ocsp.pem',
  ocspKey: 'ocsp.key.pem',
  untrustedCa: 'untrusted-ca.pem',
  untrustedCaKey: 'untrusted-ca.key.pem',
  untrusted: 'seal-untrusted.pem',
  untrustedKey: 'seal-untrusted.key.pem',
} as const;

/** The leaf keys; the two CAs (certificate + key) are kept as pairs. */
const LEAF_KEYS = [FILES.sealKey, FILES.tsaKey, FILES.expiredKey, FILES.revokedKey, FILES.ocspKey, FILES.untrustedKey] as const;
type LeafKeyFile = (typeof LEAF_KEYS)[number];

const OID_QC_STATEMENTS = '1.3.6.1.5.5.7.1.3';
const POLICY_QCP_L_QSCD = '0.4.0.194112.1.3';
const DAY = 86_400_000;
/** Layout of pki.json; a PKI written by an older layout gets its certificates issued again (keys kept). */
const META_VERSION = 2;

/** QCStatements: QcCompliance, QcSSCD, QcType = eseal (hand-encoded). */
function qcStatementsDer(): Buffer {
  const o = (x: string): Buffer => seq(oid(x));
  return seq(o('0.4.0.1862.1.1'), o('0.4.0.1862.1.4'), seq(oid('0.4.0.1862.1.6'), o('0.4.0.1862.1.6.2')));
}

/**
 * Parsed private keys by PEM. OpenSSL 3 takes milliseconds to decode one PEM key, and a load
 * touches each key several times (issuing, checking, the in-memory PKI).
 */
const parsedKeys = new Map<string, KeyObject>();
function createPrivateKey(pem: string): KeyObject {
  let k = parsedKeys.get(pem);
  if (!k) {
    k = parsePrivateKey(pem);
    if (parsedKeys.size > 64) parsedKeys.clear();
    parsedKeys.set(pem, k);
  }
  return k;
}

async function makeCa(name: readonly Rdn[], alg: KeyAlgorithm, now: Date): Promise<{ pem: string; keyPem: string }> {
  const keyPemStr = await generateKeyPem(alg);
  const key = createPrivateKey(keyPemStr);
  const der = issueCertificate({
    subject: name,
    publicKey: key,
    signingKey: key,
    notBefore: new Date(now.getTime() - 5 * 365 * DAY),
    notAfter: new Date(now.getTime() + 20 * 365 * DAY),
    ca: true,
    keyUsage: [KU.keyCertSign, KU.cRLSign],
  });
  return { pem: toPem(der, 'CERTIFICATE'), keyPem: keyPemStr };
}

type LeafKind = 'seal' | 'tsa' | 'ocsp' | 'untrusted-seal';

interface LeafSpec {
  subject: readonly Rdn[];
  kind: LeafKind;
  notBefore: Date;
  notAfter: Date;
}

/** The addresses every leaf of the test CA names, under the public base URL. */
export function pkiUrls(publicUrl: string): { crl: string; caIssuers: string; ocsp: string } {
  const base = publicUrl.replace(/\/+$/, '');
  return { crl: `${base}/_simulator/pki/ca.crl`, caIssuers: `${base}/_simulator/pki/ca.der`, ocsp: `${base}/_simulator/pki/ocsp` };
}

function makeLeaf(spec: LeafSpec, issuer: CertInfo, issuerKeyPem: string, leafKeyPem: string, publicUrl: string): string {
  const urls = pkiUrls(publicUrl);
  // Revocation pointers on every leaf of the test CA; the untrusted CA publishes none. The
  // responder needs no OCSP address of its own (id-pkix-ocsp-nocheck).
  const pointers =
    spec.kind === 'untrusted-seal' ? {} : { crlUrl: urls.crl, caIssuersUrl: urls.caIssuers, ...(spec.kind === 'ocsp' ? {} : { ocspUrl: urls.ocsp }) };
  const byKind = {
    // No EKU on a seal certificate: `openssl cms -verify` checks the S/MIME signing purpose by
    // default and refuses a certificate whose EKU is documentSigning; with no EKU it passes.
    seal: {
      keyUsage: [KU.digitalSignature, KU.nonRepudiation],
      policies: [POLICY_QCP_L_QSCD],
      extra: [[OID_QC_STATEMENTS, qcStatementsDer(), false]] as const,
    },
    // RFC 3161 §2.3: the one EKU timeStamping, critical.
    tsa: { keyUsage: [KU.digitalSignature], eku: [OID.timeStamping], ekuCritical: true },
    // Delegated OCSP responder (RFC 6960 §4.2.2.2): OCSPSigning EKU; id-pkix-ocsp-nocheck (NULL).
    ocsp: { keyUsage: [KU.digitalSignature], eku: [OID.ocspSigning], extra: [[OID.ocspNoCheck, nul(), false]] as const },
  } as const;
  const profile = byKind[spec.kind === 'untrusted-seal' ? 'seal' : spec.kind];
  const der = issueCertificate({
    subject: spec.subject,
    publicKey: createPrivateKey(leafKeyPem),
    signingKey: createPrivateKey(issuerKeyPem),
    issuer: { nameDer: issuer.subjectNameDer, keyId: keyIdOf(issuer.der) },
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    ...profile,
    ...pointers,
  });
  return toPem(der, 'CERTIFICATE');
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: path.endsWith('key.pem') ? 0o600 : 0o644 });
  await rename(tmp, path);
}

const TEST_ORG: readonly Rdn[] = [
  [ATTR.O, 'Seal Simulator TEST Organisation'],
  [ATTR.organizationIdentifier, 'VATFI-12345678'],
  [ATTR.C, 'FI'],
];
const TEST_ONLY = (cn: string, o = 'Seal Simulator TEST ONLY'): readonly Rdn[] => [
  [ATTR.CN, cn],
  [ATTR.O, o],
  [ATTR.C, 'FI'],
];
const SEAL_SUBJECT: readonly Rdn[] = [[ATTR.CN, 'Seal Simulator TEST Seal'], ...TEST_ORG];
const EXPIRED_SUBJECT: readonly Rdn[] = [[ATTR.CN, 'Seal Simulator TEST Seal (expired)'], ...TEST_ORG];
const REVOKED_SUBJECT: readonly Rdn[] = [[ATTR.CN, 'Seal Simulator TEST Seal (revoked)'], ...TEST_ORG];
const UNTRUSTED_SUBJECT: readonly Rdn[] = [[ATTR.CN, 'Seal Simulator TEST Seal (untrusted)'], ...TEST_ORG];
const TSA_SUBJECT = TEST_ONLY('Seal Simulator TEST TSA');
const OCSP_SUBJECT = TEST_ONLY('Seal Simulator TEST OCSP Responder');
const CA_NAME = TEST_ONLY('Seal Simulator TEST Root CA');
const UNTRUSTED_CA_NAME = TEST_ONLY('Seal Simulator untrusted TEST CA', 'Seal Simulator TEST ONLY (not in the trust list)');

interface Meta {
  version?: number;
  keyAlgorithm: KeyAlgorithm;
  caSha256: string;
  publicUrl?: string;
  createdAt: string;
}

/** Who holds a PKI lock: host, pid, and the token of this run (lock-run.ts). */
const lockOwner = (): string => JSON.stringify({ host: hostname(), pid: process.pid, run: lockRun() });

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
  if (owner.pid === process.pid) return owner.run !== lockRun();
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Runs `fn` holding `<dir>/.pki.lock`: two processes on one directory must not make two half-PKIs. */
async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, '.pki.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'owner'), lockOwner()).catch(() => {});
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await stat(lock).catch(() => undefined);
      if ((st && Date.now() - st.mtimeMs > 60_000) || (await lockOwnerIsGone(lock))) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`PKI dir ${dir} is locked by another process (${lock})`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The per-algorithm folder of the key cache. */
export const cacheFolder = (cacheDir: string, alg: KeyAlgorithm): string => join(cacheDir, `pki-${alg.toLowerCase()}`);

/**
 * The cache folder for `alg`, made private (0700); null when it cannot be made (a read-only or
 * missing home directory): the keys are then generated into the data directory, as without a cache.
 */
async function usableCacheFolder(cacheDir: string, alg: KeyAlgorithm): Promise<string | null> {
  const folder = cacheFolder(cacheDir, alg);
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await chmod(folder, 0o700);
    return folder;
  } catch {
    return null;
  }
}

interface KeySet {
  ca: { pem: string; keyPem: string };
  untrustedCa: { pem: string; keyPem: string };
  leaf: Record<LeafKeyFile, string>;
}

/**
 * Everything in `names` that `into` lacks, from `from` if it has it, else generated; written to
 * `into` (keys 0600). The cache (folder 0700) is filled this way once, then adopted by data dirs.
 */
async function fillKeys(
  into: string,
  alg: KeyAlgorithm,
  now: Date,
  cas: ('ca' | 'untrustedCa')[],
  leaves: readonly LeafKeyFile[],
  signal?: AbortSignal,
): Promise<void> {
  const pairs = { ca: [FILES.ca, FILES.caKey, CA_NAME], untrustedCa: [FILES.untrustedCa, FILES.untrustedCaKey, UNTRUSTED_CA_NAME] } as const;
  for (const which of cas) {
    const [certFile, keyFile, name] = pairs[which];
    if (existsSync(join(into, certFile)) && existsSync(join(into, keyFile))) continue;
    const made = await makeCa(name, alg, now);
    signal?.throwIfAborted();
    await writeAtomic(join(into, keyFile), made.keyPem);
    await writeAtomic(join(into, certFile), made.pem);
  }
  for (const f of leaves) {
    if (existsSync(join(into, f))) continue;
    const made = await generateKeyPem(alg);
    signal?.throwIfAborted();
    await writeAtomic(join(into, f), made);
  }
}

/**
 * The keys of the data directory `dir`: its own, else adopted from the cache (filled there first),
 * else generated into `dir`. `adopted` is true when any key is new to `dir` (its certificates must
 * then be issued again).
 */
async function keysFor(
  dir: string,
  alg: KeyAlgorithm,
  cacheDir: string | null,
  withCa: boolean,
  now: Date,
  signal?: AbortSignal,
): Promise<{ keys: KeySet; adopted: boolean }> {
  const p = (f: string): string => join(dir, f);
  const cas: ('ca' | 'untrustedCa')[] = [];
  if (withCa && !(existsSync(p(FILES.ca)) && existsSync(p(FILES.caKey)))) cas.push('ca');
  if (!(existsSync(p(FILES.untrustedCa)) && existsSync(p(FILES.untrustedCaKey)))) cas.push('untrustedCa');
  const leaves = LEAF_KEYS.filter((f) => !existsSync(p(f)));
  const adopted = cas.length > 0 || leaves.length > 0;
  if (adopted) {
    const folder = cacheDir === null ? null : await usableCacheFolder(cacheDir, alg);
    if (folder === null) await fillKeys(dir, alg, now, cas, leaves, signal);
    else {
      await withDirLock(folder, () => fillKeys(folder, alg, now, cas, leaves, signal));
      const copy = async (f: string) => {
        signal?.throwIfAborted();
        await writeAtomic(p(f), await readFile(join(folder, f), 'utf8'));
      };
      for (const c of cas) {
        if (c === 'ca') await Promise.all([copy(FILES.ca), copy(FILES.caKey)]);
        else await Promise.all([copy(FILES.untrustedCa), copy(FILES.untrustedCaKey)]);
      }
      for (const f of leaves) await copy(f);
    }
  }
  const leaf = {} as Record<LeafKeyFile, string>;
  for (const f of LEAF_KEYS) leaf[f] = await readFile(p(f), 'utf8');
  const ca = withCa ? { pem: await readFile(p(FILES.ca), 'utf8'), keyPem: await readFile(p(FILES.caKey), 'utf8') } : { pem: '', keyPem: '' };
  const untrustedCa = { pem: await readFile(p(FILES.untrustedCa), 'utf8'), keyPem: await readFile(p(FILES.untrustedCaKey), 'utf8') };
  return { keys: { ca, untrustedCa, leaf }, adopted };
}

/** Loads the PKI persisted under `opts.dir`, making (once) whatever is missing. */
export async function loadOrCreatePki(opts: LoadOrCreatePkiOptions): Promise<Pki> {
  return (await loadTestPki(opts)).pki;
}

/** As loadOrCreatePki, plus the CA's private key (main thread only: it issues CRLs). */
export async function loadTestPki(opts: LoadOrCreatePkiOptions): Promise<{ pki: Pki; caKey: KeyObject }> {
  opts.signal?.throwIfAborted();
  return withDirLock(opts.dir, () => loadOrCreateLocked(opts));
}

async function loadOrCreateLocked(opts: LoadOrCreatePkiOptions): Promise<{ pki: Pki; caKey: KeyObject }> {
  const dir = opts.dir;
  const p = (f: string): string => join(dir, f);
  const publicUrl = (opts.publicUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const now = new Date();

  let meta: Meta | undefined;
  try {
    meta = existsSync(p(FILES.meta)) ? (JSON.parse(await readFile(p(FILES.meta), 'utf8')) as Meta) : undefined;
  } catch {
    meta = undefined;
  }
  const pinned = opts.caCertPemPath !== undefined && opts.caKeyPemPath !== undefined;
  // A directory that holds a PKI keeps its key type; a new one takes the setting.
  const alg: KeyAlgorithm = meta?.keyAlgorithm ?? opts.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM;
  const signal = opts.signal;
  const { keys, adopted } = await keysFor(dir, alg, opts.cacheDir ?? null, !pinned, now, signal);

  // 1. CA
  let caPem = keys.ca.pem;
  let caKeyPemStr = keys.ca.keyPem;
  if (pinned) {
    caPem = await readFile(opts.caCertPemPath!, 'utf8');
    caKeyPemStr = await readFile(opts.caKeyPemPath!, 'utf8');
  }
  {
    const caCert = new X509Certificate(pemToDer(caPem));
    const certKey = caCert.publicKey.export({ type: 'spki', format: 'der' });
    const keyPub = createPublicKey(createPrivateKey(caKeyPemStr)).export({ type: 'spki', format: 'der' });
    if (!certKey.equals(keyPub)) throw new Error('the CA key does not belong to the CA certificate (caCertPemPath / caKeyPemPath)');
    if (!caCert.ca) throw new Error('the CA certificate given is not a CA (basicConstraints cA is not true)');
  }
  const caSha = sha256(pemToDer(caPem)).toString('hex');

  // 2. Leaves: issued again when the CA, the public URL, the layout or any key changed.
  const certFiles = [FILES.seal, FILES.tsa, FILES.expired, FILES.revoked, FILES.ocsp, FILES.untrusted];
  const leavesOk =
    !adopted &&
    meta !== undefined &&
    meta.version === META_VERSION &&
    meta.caSha256 === caSha &&
    meta.publicUrl === publicUrl &&
    certFiles.every((f) => existsSync(p(f)));
  if (!leavesOk) {
    // Seal, TSA, OCSP and untrusted seal are valid from five years ago for ten years; the expired seal ended yesterday.
    const current = { notBefore: new Date(now.getTime() - 5 * 365 * DAY), notAfter: new Date(now.getTime() + 10 * 365 * DAY) };
    const lapsed = { notBefore: new Date(now.getTime() - 2 * 365 * DAY), notAfter: new Date(now.getTime() - DAY) };
    const ca = certInfo(caPem);
    const byCa = (subject: readonly Rdn[], kind: LeafKind, validity: typeof current, keyFile: LeafKeyFile) =>
      makeLeaf({ subject, kind, ...validity }, ca, caKeyPemStr, keys.leaf[keyFile], publicUrl);
    const issued: [string, string][] = [
      [FILES.seal, byCa(SEAL_SUBJECT, 'seal', current, FILES.sealKey)],
      [FILES.tsa, byCa(TSA_SUBJECT, 'tsa', current, FILES.tsaKey)],
      [FILES.expired, byCa(EXPIRED_SUBJECT, 'seal', lapsed, FILES.expiredKey)],
      [FILES.revoked, byCa(REVOKED_SUBJECT, 'seal', current, FILES.revokedKey)],
      [FILES.ocsp, byCa(OCSP_SUBJECT, 'ocsp', current, FILES.ocspKey)],
      [
        FILES.untrusted,
        makeLeaf(
          { subject: UNTRUSTED_SUBJECT, kind: 'untrusted-seal', ...current },
          certInfo(keys.untrustedCa.pem),
          keys.untrustedCa.keyPem,
          keys.leaf[FILES.untrustedKey],
          publicUrl,
        ),
      ],
    ];
    signal?.throwIfAborted();
    for (const [file, pem] of issued) await writeAtomic(p(file), pem);
  }
  // The CA as served (/_simulator/pki/ca.pem, ca.der) is always written to dir.
  if (!existsSync(p(FILES.ca)) || !existsSync(p(FILES.caDer)) || (await readFile(p(FILES.ca), 'utf8')) !== caPem) {
    await writeAtomic(p(FILES.ca), caPem);
    await writeAtomic(p(FILES.caDer), pemToDer(caPem));
  }
  if (!leavesOk) {
    const m: Meta = { version: META_VERSION, keyAlgorithm: alg, caSha256: caSha, publicUrl, createdAt: meta?.createdAt ?? now.toISOString() };
    await writeAtomic(p(FILES.meta), JSON.stringify(m, null, 2) + '\n');
  }

  const read = (f: string) => readFile(p(f), 'utf8');
  const material: PkiMaterial = {
    keyAlgorithm: alg,
    caPem,
    sealPem: await read(FILES.seal),
    sealKeyPem: keys.leaf[FILES.sealKey],
    tsaPem: await read(FILES.tsa),
    tsaKeyPem: keys.leaf[FILES.tsaKey],
    expiredSealPem: await read(FILES.expired),
    expiredSealKeyPem: keys.leaf[FILES.expiredKey],
    revokedSealPem: await read(FILES.revoked),
    revokedSealKeyPem: keys.leaf[FILES.revokedKey],
    ocspPem: await read(FILES.ocsp),
    ocspKeyPem: keys.leaf[FILES.ocspKey],
    untrustedCaPem: keys.untrustedCa.pem,
    untrustedSealPem: await read(FILES.untrusted),
    untrustedSealKeyPem: keys.leaf[FILES.untrustedKey],
    publicUrl,
    crlDerB64: '',
  };
  // The CRL as it stands at load time (revocations kept in the data directory included): what a
  // sealing process embeds or judges against when no newer one is sent with its file. It is put
  // into the one parsed PKI rather than parsing everything again (certificates and keys are most
  // of a load's time, and a load is on the way to a fresh server's first batch).
  const caKey = createPrivateKey(caKeyPemStr);
  const { Revocations } = await import('./revocation.js');
  const pki = pkiFromMaterial(material, createPrivateKey);
  const crl = (await Revocations.open(pki, caKey, dir)).currentCrlDer();
  material.crlDerB64 = crl.toString('base64');
  pki.crlDer = crl;
  return { pki, caKey };
}
