/**
 * The test CA's revocation state: which certificates it issued, which are revoked, and the CRL and
 * OCSP answers that follow from that. Lives in the main thread; persisted next to the PKI
 * (<data dir>/pki/revocation.json) so that a restart on the same data directory keeps it.
 *
 *   const r = await Revocations.open(pki, caKey, dir)   // caKey: the CA private key (main thread only)
 *   r.currentCrlDer(now)                  // the CRL served at /_simulator/pki/ca.crl
 *   r.ocspResponseFor(certDer, now)       // a signed OCSPResponse for one certificate (for B-LT embedding)
 *   r.respond(requestDer, now)            // the OCSP responder: request in, response out
 *   await r.revoke(serial, reason, at) / await r.restore(serial) / r.list()
 *
 * A new CRL (with the next CRL number) is issued whenever the revocation list changes, and when
 * the current one is older than CRL_REISSUE_MS, so that a validator fetching it after a fresh
 * seal finds a CRL issued after the signing time.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pki } from './pki-material.js';
import {
  buildCrl,
  buildOcspResponse,
  certIdFor,
  issuedBy,
  normaliseSerialHex,
  type OcspCertStatus,
  type CrlReason,
  OcspMalformed,
  ocspStatusOnly,
  parseOcspRequest,
  type RevokedEntry,
  serialHexOf,
} from './ocsp.js';
import { seq } from './der.js';
import type { KeyObject } from 'node:crypto';

export const REVOCATION_FILE = 'revocation.json';
/** How long a CRL is served before a fresh one (next number) is issued. */
const CRL_REISSUE_MS = 60 * 60_000;
/** nextUpdate of CRLs and OCSP answers. */
const VALIDITY_MS = 24 * 60 * 60_000;

export interface IssuedCert {
  serial: string;
  /** What the certificate is: seal, tsa, expired-seal, revoked-seal, ocsp, … */
  role: string;
  subject: string;
  issuedAt: string;
}

interface RevokedJson {
  serial: string;
  revokedAt: string;
  reason: CrlReason;
}

interface StateJson {
  crlNumber: number;
  crlIssuedAt: string | null;
  issued: IssuedCert[];
  revoked: RevokedJson[];
}

export interface RevocationView {
  serial: string;
  role: string | null;
  subject: string | null;
  revokedAt: string;
  reason: CrlReason;
}

export class UnknownCertificate extends Error {}

export class Revocations {
  private crl: { der: Buffer; issuedAt: number } | undefined;

  private constructor(
    private readonly pki: Pki,
    private readonly caKey: KeyObject,
    private readonly file: string | null,
    private state: StateJson,
  ) {}

  /**
   * Opens the state kept in `dir` (or starts one), registers the PKI's current certificates as
   * issued, and keeps the revoked-seal identity revoked. `dir` null: in memory only.
   */
  static async open(pki: Pki, caKey: KeyObject, dir: string | null, now = new Date()): Promise<Revocations> {
    const file = dir === null ? null : join(dir, REVOCATION_FILE);
    let state: StateJson = { crlNumber: 0, crlIssuedAt: null, issued: [], revoked: [] };
    if (file) {
      try {
        state = JSON.parse(readFileSync(file, 'utf8')) as StateJson;
      } catch {
        // absent or unreadable: a new state (the CRL number starts again above any CRL served from it)
      }
    }
    const r = new Revocations(pki, caKey, file, state);
    const known = new Set(state.issued.map((i) => i.serial));
    const roles: [string, Pki['seal']][] = [
      ['seal', pki.seal],
      ['tsa', pki.tsa],
      ['expired-seal', pki.expiredSeal],
      ['revoked-seal', pki.revokedSeal],
      ['ocsp', pki.ocsp],
    ];
    let changed = false;
    for (const [role, id] of roles) {
      const serial = serialHexOf(id.cert.der);
      if (known.has(serial)) continue;
      state.issued.push({ serial, role, subject: id.cert.subject, issuedAt: now.toISOString() });
      changed = true;
    }
    const revokedSerial = serialHexOf(pki.revokedSeal.cert.der);
    if (!state.revoked.some((e) => e.serial === revokedSerial)) {
      // Revoked well before any signing time a test would use (its validity began five years ago).
      const at = new Date(Math.max(pki.revokedSeal.cert.notBefore.getTime() + 86_400_000, now.getTime() - 30 * 86_400_000));
      state.revoked.push({ serial: revokedSerial, revokedAt: at.toISOString(), reason: 'keyCompromise' });
      changed = true;
    }
    if (changed) r.save();
    return r;
  }

  /** Certificates issued by the CA, newest first (the current ones and those a new public URL replaced). */
  issued(): readonly IssuedCert[] {
    return [...this.state.issued].reverse();
  }

  list(): RevocationView[] {
    const byserial = new Map(this.state.issued.map((i) => [i.serial, i]));
    return this.state.revoked.map((e) => ({
      serial: e.serial,
      role: byserial.get(e.serial)?.role ?? null,
      subject: byserial.get(e.serial)?.subject ?? null,
      revokedAt: e.revokedAt,
      reason: e.reason,
    }));
  }

  crlNumber(): number {
    return this.state.crlNumber;
  }

  /** Serial (hex) of the certificate playing `role` now (seal, tsa, …), or of a serial given as hex. */
  resolve(which: string): string {
    const current = [...this.state.issued].reverse().find((i) => i.role === which);
    if (current) return current.serial;
    const serial = normaliseSerialHex(which);
    if (!this.state.issued.some((i) => i.serial === serial)) throw new UnknownCertificate(`the test CA issued no certificate with serial ${serial}`);
    return serial;
  }

  /** Revokes (or re-revokes with a new reason/time) one certificate of the CA; a new CRL follows. */
  async revoke(serialHex: string, reason: CrlReason, at: Date): Promise<RevocationView> {
    const serial = this.resolve(serialHex);
    if (serial === serialHexOf(this.pki.ocsp.cert.der)) {
      // A revoked responder would make every answer unverifiable; id-pkix-ocsp-nocheck says clients never ask.
      throw new UnknownCertificate('the OCSP responder certificate carries id-pkix-ocsp-nocheck and cannot be revoked here');
    }
    this.state.revoked = this.state.revoked.filter((e) => e.serial !== serial);
    // Whole seconds: CRLs and OCSP carry whole seconds, and an answer given in the same second must already say revoked.
    this.state.revoked.push({ serial, revokedAt: new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString(), reason });
    this.crl = undefined;
    this.save();
    return this.list().find((e) => e.serial === serial)!;
  }

  /** Takes a certificate off the list again (a test convenience; RFC 5280 allows it for certificateHold). */
  async restore(serialHex: string): Promise<boolean> {
    const serial = this.resolve(serialHex);
    if (serial === serialHexOf(this.pki.revokedSeal.cert.der)) {
      throw new UnknownCertificate('the revoked TEST seal stays revoked (it is what the revoked-cert fault seals with)');
    }
    const before = this.state.revoked.length;
    this.state.revoked = this.state.revoked.filter((e) => e.serial !== serial);
    if (this.state.revoked.length === before) return false;
    this.crl = undefined;
    this.save();
    return true;
  }

  /** What OCSP says about one serial of this CA at `at` (a revocation after `at` is not yet in force). */
  statusOf(serial: string, at: Date): OcspCertStatus {
    const e = this.state.revoked.find((x) => x.serial === serial);
    if (e && new Date(e.revokedAt).getTime() <= at.getTime()) return { status: 'revoked', revokedAt: new Date(e.revokedAt), reason: e.reason };
    return this.state.issued.some((i) => i.serial === serial) ? { status: 'good' } : { status: 'unknown' };
  }

  /** The current CRL (DER); issues a new one when the list changed or the last one is an hour old. */
  currentCrlDer(now = new Date()): Buffer {
    if (!this.crl || now.getTime() - this.crl.issuedAt >= CRL_REISSUE_MS || now.getTime() < this.crl.issuedAt) {
      this.state.crlNumber += 1;
      const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
      const revoked: RevokedEntry[] = this.state.revoked
        .filter((e) => new Date(e.revokedAt).getTime() <= now.getTime())
        .map((e) => ({ serial: e.serial, revokedAt: new Date(e.revokedAt), reason: e.reason }));
      const der = buildCrl(
        { cert: this.pki.ca, key: this.caKey },
        { number: this.state.crlNumber, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + VALIDITY_MS), revoked },
      );
      this.crl = { der, issuedAt: thisUpdate.getTime() };
      this.state.crlIssuedAt = thisUpdate.toISOString();
      try {
        this.save(); // the number must not go back after a restart
      } catch {
        // the data directory is gone (closing): the CRL is still good to answer with
      }
    }
    return this.crl.der;
  }

  /** A signed OCSP response (DER OCSPResponse) about one certificate issued by the CA, as of `at`. */
  ocspResponseFor(certDer: Buffer, at = new Date()): Buffer {
    // The same path as a client's request: OCSPRequest { TBSRequest { requestList { Request { CertID } } } }.
    return this.respond(seq(seq(seq(seq(certIdFor(this.pki.ca, serialHexOf(certDer)))))), at);
  }

  /** The responder: a DER OCSPRequest in, a DER OCSPResponse out (malformedRequest for bytes that are not one). */
  respond(requestDer: Buffer, now = new Date()): Buffer {
    let req;
    try {
      req = parseOcspRequest(requestDer);
    } catch (e) {
      if (e instanceof OcspMalformed) return ocspStatusOnly('malformedRequest');
      throw e;
    }
    const t = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const answers = req.certIds.map((certId) => ({
      certId,
      status: issuedBy(certId, this.pki.ca) ? this.statusOf(certId.serial, t) : ({ status: 'unknown' } as const),
    }));
    return buildOcspResponse(this.pki.ocsp, { now: t, nextUpdate: new Date(t.getTime() + VALIDITY_MS), nonceExt: req.nonceExt, answers });
  }

  /** Writes the state (a small file, written synchronously: no two writes can interleave). */
  private save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2) + '\n');
    renameSync(tmp, this.file);
  }
}
