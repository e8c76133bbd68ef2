/**
 * The simulator's RFC 3161 time-stamping authority (the vendor's TSA methods: docs/vendor-contract.md#tsa).
 *
 * Exact API for the HTTP routes:
 *
 *   const tsa = createTsa(pki);                               // once, at start-up
 *   tsa.respond(body: Buffer, now: Date): Buffer              // POST /tsa/stamp/rfc3161/{processId}
 *       body = DER TimeStampReq (application/timestamp-query) or a raw SHA-1/256/384/512 digest
 *       (20/32/48/64 bytes); returns a DER TimeStampResp (application/timestamp-reply).
 *   tsa.stampHashJson(b64: string, now: Date): { token: string }   // POST /tsa/stamp/{processId}
 *       b64 = the "hash" member of {"hash":"<base64>"}; returns the base64 DER TimeStampToken.
 *   tsa.stampJsonBody(body: unknown, now: Date): { token: string }  // same, validating the parsed JSON body
 *
 * Malformed input throws `DomainError('invalid_request', …)` saying what to send instead.
 * Lower level: parseTimeStampRequest(body), timeStampToken(tsaIdentity, req, now),
 * timeStampResp(token).
 */
import { randomBytes } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { Identity, Pki } from './pki-material.js';
import { buildSignedData } from './cms.js';
import { OID } from './oids.js';
import { children, content, ctx, decodeOid, generalizedTime, int, intBytes, octet, oid, readTlv, seq, tlv } from './der.js';

/** The simulator TSA's policy OID (tsa_policy1 in OpenSSL's default config). */
export const TSA_POLICY_OID = '1.2.3.4.1';

const HASH_BY_LEN: Record<number, { oid: string; name: string }> = {
  20: { oid: OID.sha1, name: 'SHA-1' },
  32: { oid: OID.sha256, name: 'SHA-256' },
  48: { oid: OID.sha384, name: 'SHA-384' },
  64: { oid: OID.sha512, name: 'SHA-512' },
};
const LEN_BY_OID: Record<string, number> = { [OID.sha1]: 20, [OID.sha256]: 32, [OID.sha384]: 48, [OID.sha512]: 64 };

export interface TimeStampRequest {
  /** OID of the imprint's hash algorithm. */
  hashAlgorithm: string;
  hash: Buffer;
  /** Nonce magnitude (unsigned big-endian), echoed in TSTInfo. */
  nonce?: Buffer;
  certReq: boolean;
  reqPolicy?: string;
  /** 'der' for a TimeStampReq, 'raw' for a bare digest. */
  source: 'der' | 'raw';
}

const SEND_INSTEAD =
  'Send a DER RFC 3161 TimeStampReq (e.g. from `openssl ts -query -data file -sha256 -cert`) or the raw 20/32/48/64-byte SHA-1/256/384/512 digest as the body.';

function bad(what: string): DomainError {
  return new DomainError('invalid_request', `${what} ${SEND_INSTEAD}`);
}

function parseDerRequest(body: Buffer): TimeStampRequest {
  const top = readTlv(body);
  if (top.tag !== 0x30) throw new Error('TimeStampReq must be a SEQUENCE');
  if (top.end !== body.length) throw new Error('trailing bytes after the TimeStampReq');
  const f = children(body.subarray(top.hdr, top.end));
  const version = f[0];
  if (version?.[0] !== 0x02 || content(version).length !== 1 || content(version)[0] !== 1) throw new Error('TimeStampReq version must be 1');
  const mi = f[1];
  if (mi?.[0] !== 0x30) throw new Error('messageImprint missing');
  const [algId, hashOct] = children(content(mi));
  if (algId?.[0] !== 0x30 || !hashOct || hashOct[0] !== 0x04) throw new Error('messageImprint is malformed');
  const hashAlgorithm = decodeOid(children(content(algId))[0]!);
  const hash = Buffer.from(content(hashOct));
  const want = LEN_BY_OID[hashAlgorithm];
  if (!want) throw new Error(`unsupported hash algorithm ${hashAlgorithm} (use SHA-1, SHA-256, SHA-384 or SHA-512)`);
  if (hash.length !== want) throw new Error(`hashedMessage is ${hash.length} bytes but ${hashAlgorithm} digests are ${want}`);
  const req: TimeStampRequest = { hashAlgorithm, hash, certReq: false, source: 'der' };
  for (const x of f.slice(2)) {
    if (x[0] === 0x06) req.reqPolicy = decodeOid(x);
    else if (x[0] === 0x02) {
      const n = content(x);
      if (n.length > 0 && (n[0]! & 0x80) !== 0) throw new Error('nonce must be positive');
      req.nonce = Buffer.from(n);
    } else if (x[0] === 0x01) req.certReq = content(x)[0] !== 0;
    else if (x[0] === 0xa0) {
      /* extensions: ignored (none supported, none critical expected) */
    } else throw new Error(`unexpected field with tag 0x${x[0]!.toString(16)}`);
  }
  return req;
}

/**
 * Parses the body of POST /tsa/stamp/rfc3161/{processId}: a DER TimeStampReq, or a raw digest of
 * 20/32/48/64 bytes (SHA-1/256/384/512, no nonce, certReq true).
 */
export function parseTimeStampRequest(body: Buffer): TimeStampRequest {
  if (!body || body.length === 0) throw bad('The request body is empty.');
  let derError: string | undefined;
  if (body[0] === 0x30) {
    try {
      return parseDerRequest(body);
    } catch (e) {
      derError = (e as Error).message;
    }
  }
  const h = HASH_BY_LEN[body.length];
  if (h) return { hashAlgorithm: h.oid, hash: Buffer.from(body), certReq: true, source: 'raw' };
  if (derError) throw bad(`The body looks like DER but is not a valid TimeStampReq: ${derError}.`);
  throw bad(`The body is ${body.length} bytes: neither a DER TimeStampReq nor a 20/32/48/64-byte digest.`);
}

/** Unique positive serial: 64 bits of time-ish prefix + 64 random bits (safe across sealing processes). */
function newSerial(now: Date): Buffer {
  const b = randomBytes(16);
  b.writeUInt32BE(Math.floor(now.getTime() / 1000) >>> 0, 0);
  b[0] = b[0]! & 0x7f || 0x01;
  return intBytes(b);
}

/** Builds a DER TimeStampToken (ContentInfo signedData over TSTInfo) signed by `tsa`. */
export function timeStampToken(tsa: Identity, req: Pick<TimeStampRequest, 'hashAlgorithm' | 'hash' | 'nonce' | 'certReq'>, now: Date): Buffer {
  const genTime = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const tstInfo = seq(
    int(1),
    oid(TSA_POLICY_OID),
    seq(seq(oid(req.hashAlgorithm)), octet(req.hash)),
    newSerial(now),
    generalizedTime(genTime),
    seq(int(1)), // accuracy { seconds 1 }
    ...(req.nonce ? [intBytes(req.nonce)] : []),
    ctx(0, tlv(0xa4, tsa.cert.subjectNameDer)), // tsa [0] GeneralName directoryName
  );
  return buildSignedData({
    signer: tsa,
    content: tstInfo,
    attach: true,
    eContentType: OID.tstInfo,
    certificates: req.certReq ? [tsa.cert.der, tsa.issuer.der] : [],
  });
}

/** TimeStampResp { status granted, token }. */
export function timeStampResp(token: Buffer): Buffer {
  return seq(seq(int(0)), token);
}

/** PKIFailureInfo bit for "the requested TSA policy is not supported" (RFC 3161 §2.4.2). */
const UNACCEPTED_POLICY_BIT = 15;

/**
 * TimeStampResp { status rejection, statusString, failInfo } and no token: RFC 3161's answer to a
 * request the TSA understood but will not grant (an HTTP 200 carrying a refusal, as real TSAs do).
 */
export function timeStampRejection(failBit: number, text: string): Buffer {
  const bits = Buffer.alloc(Math.floor(failBit / 8) + 1);
  bits[Math.floor(failBit / 8)] = 0x80 >> (failBit % 8);
  const unused = 7 - (failBit % 8); // DER: a named-bit list ends at its last set bit
  const statusString = seq(tlv(0x0c, Buffer.from(text, 'utf8')));
  return seq(seq(int(2), statusString, tlv(0x03, Buffer.from([unused]), bits)));
}

export interface Tsa {
  respond(body: Buffer, now: Date): Buffer;
  stampHashJson(b64: string, now: Date): { token: string };
  stampJsonBody(body: unknown, now: Date): { token: string };
  /** sha256 digest → token DER (used for CAdES-T / PAdES-B-T / XAdES-T). */
  tokenForDigest(sha256Digest: Buffer, now: Date): Buffer;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function createTsa(pki: Pick<Pki, 'tsa'>): Tsa {
  const tsa = pki.tsa;
  const stampHashJson = (b64: string, now: Date): { token: string } => {
    const JSON_HINT = 'Send {"hash": "<base64 of a 20/32/48/64-byte SHA-1/256/384/512 digest>"}.';
    if (typeof b64 !== 'string' || b64.trim() === '') throw new DomainError('invalid_request', `"hash" is missing or empty. ${JSON_HINT}`);
    const s = b64.trim();
    if (!B64.test(s) || s.length % 4 !== 0) throw new DomainError('invalid_request', `"hash" is not valid base64. ${JSON_HINT}`);
    const hash = Buffer.from(s, 'base64');
    const h = HASH_BY_LEN[hash.length];
    if (!h) throw new DomainError('invalid_request', `"hash" decodes to ${hash.length} bytes, which is no SHA-1/256/384/512 digest. ${JSON_HINT}`);
    return { token: timeStampToken(tsa, { hashAlgorithm: h.oid, hash, certReq: true }, now).toString('base64') };
  };
  return {
    respond(body, now) {
      const req = parseTimeStampRequest(body);
      if (req.reqPolicy !== undefined && req.reqPolicy !== TSA_POLICY_OID) {
        // RFC 3161 §2.4.1: a TSA asked for a policy it does not support must refuse, not answer
        // under its own; a client that pins a policy learns it here, as with a real TSA.
        return timeStampRejection(
          UNACCEPTED_POLICY_BIT,
          `The simulator's TSA issues time-stamps under policy ${TSA_POLICY_OID} only; the request asked for ${req.reqPolicy}.`,
        );
      }
      return timeStampResp(timeStampToken(tsa, req, now));
    },
    stampHashJson,
    stampJsonBody(body, now) {
      if (!body || typeof body !== 'object' || Array.isArray(body) || typeof (body as { hash?: unknown }).hash !== 'string')
        throw new DomainError('invalid_request', 'The body must be a JSON object {"hash": "<base64 digest>"} with "hash" a string.');
      return stampHashJson((body as { hash: string }).hash, now);
    },
    tokenForDigest(d, now) {
      return timeStampToken(tsa, { hashAlgorithm: OID.sha256, hash: d, certReq: true }, now);
    },
  };
}
