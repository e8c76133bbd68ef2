/**
 * CAdES over a file on disk, without holding the file in memory: the content is hashed as a
 * stream, the SignedData is built detached (it needs only the digest), and an enveloping `.p7m` is
 * written by streaming the content into the encapsulated OCTET STRING between the DER headers.
 * A 250 MiB input costs a 64 KiB read buffer instead of several copies of the file.
 *
 * The reads and writes are synchronous: this runs in a sealing process that works on one file and
 * has nothing else to do meanwhile, and a synchronous read of a small file costs a fraction of the
 * round trips through libuv's thread pool that a stream makes (most sealed files are small).
 *
 *   sha256File(path): Buffer
 *   writeEnveloping(detached, contentPath, contentSize, outPath): void
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { children, content, readTlv } from './der.js';

const CHUNK = 1 << 16;

/** Calls `each` with the file's bytes, CHUNK at a time (the buffer is reused: copy what you keep). */
function forEachChunk(path: string, each: (chunk: Buffer) => void): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let total = 0;
    for (let n; (n = readSync(fd, buf, 0, CHUNK, null)) > 0; total += n) each(buf.subarray(0, n));
    return total;
  } finally {
    closeSync(fd);
  }
}

export function sha256File(path: string): Buffer {
  const hash = createHash('sha256');
  forEachChunk(path, (chunk) => hash.update(chunk));
  return hash.digest();
}

/** A DER header (tag + definite length). */
export function derHeader(tag: number, len: number): Buffer {
  if (len < 0x80) return Buffer.from([tag, len]);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

const tlvSize = (len: number): number => derHeader(0, len).length + len;

/**
 * Turns a detached ContentInfo(SignedData) — `encapContentInfo` holding only its eContentType —
 * into the enveloping one, streaming the content from `contentPath` into `outPath`. Byte for byte
 * what buildSignedData({ attach: true }) writes for the same signature.
 */
export function writeEnveloping(detached: Buffer, contentPath: string, contentSize: number, outPath: string): void {
  // ContentInfo ::= SEQ { OID, [0] { SignedData ::= SEQ { version, digestAlgorithms, encap, [certs], signerInfos } } }
  const [typeOid, explicit] = children(content(detached)) as [Buffer, Buffer];
  const signedData = content(explicit);
  const parts = children(content(signedData));
  const encapIndex = 2;
  const encap = parts[encapIndex]!;
  const eContentTypeOid = content(encap);
  if (children(eContentTypeOid).length !== 1) throw new Error('the SignedData is not detached');
  const octetLen = tlvSize(contentSize);
  const explicitContentLen = tlvSize(octetLen);
  const newEncapLen = eContentTypeOid.length + explicitContentLen;
  const grow = tlvSize(newEncapLen) - encap.length;
  const sdLen = readTlv(signedData).len + grow;
  const explicitLen = tlvSize(tlvSize(sdLen));
  const ciLen = typeOid.length + explicitLen;

  const head = Buffer.concat([
    derHeader(0x30, ciLen),
    typeOid,
    derHeader(0xa0, tlvSize(sdLen)),
    derHeader(0x30, sdLen),
    ...parts.slice(0, encapIndex),
    derHeader(0x30, newEncapLen),
    eContentTypeOid,
    derHeader(0xa0, octetLen),
    derHeader(0x04, contentSize),
  ]);
  const tail = Buffer.concat(parts.slice(encapIndex + 1));
  const out = openSync(outPath, 'w');
  try {
    const write = (b: Buffer): void => {
      for (let off = 0; off < b.length; ) off += writeSync(out, b, off);
    };
    write(head);
    const seen = forEachChunk(contentPath, write);
    if (seen !== contentSize) throw new Error(`the content changed size while it was sealed (${seen} bytes, expected ${contentSize})`);
    write(tail);
  } finally {
    closeSync(out);
  }
}
