/**
 * CAdES over a file on disk, without holding the file in memory: the content is hashed as a
 * stream, the SignedData is built detached (it needs only the digest), and an enveloping `.p7m` is
 * written by streaming the content into the encapsulated OCTET STRING between the DER headers.
 * A 250 MiB input costs a 64 KiB read buffer instead of several copies of the file.
 *
 *   sha256File(path): Promise<Buffer>
 *   writeEnveloping(detached, contentPath, contentSize, outPath): Promise<void>
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { children, content, readTlv } from './der.js';

export async function sha256File(path: string): Promise<Buffer> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 16 }), hash);
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
export async function writeEnveloping(detached: Buffer, contentPath: string, contentSize: number, outPath: string): Promise<void> {
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
  const out = createWriteStream(outPath);
  async function* body(): AsyncGenerator<Buffer> {
    yield head;
    let seen = 0;
    for await (const chunk of createReadStream(contentPath, { highWaterMark: 1 << 16 })) {
      seen += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (seen !== contentSize) throw new Error(`the content changed size while it was sealed (${seen} bytes, expected ${contentSize})`);
    yield tail;
  }
  await pipeline(body, out);
}
