import { describe, expect, it } from 'vitest';
import { bytesOf, kids, oidOf, parseDer, readNode, timeOf } from '../../../../src/signing/der.js';
import { generalizedTime, int, oid, seq, utcTime } from '../../../../src/signing/der.js';

describe('strict DER reader', () => {
  const good = seq(int(5), oid('1.2.840.113549.1.7.2'), seq(int(1)));

  it('reads nested structures as views of the input', () => {
    const root = parseDer(good);
    const [a, b, c] = kids(root);
    expect(a!.tag).toBe(0x02);
    expect(oidOf(b!)).toBe('1.2.840.113549.1.7.2');
    expect(bytesOf(c!).buffer).toBe(good.buffer);
  });

  it.each([
    ['a child overrunning its parent', Buffer.from([0x30, 0x03, 0x02, 0x05, 0x00])],
    ['a parent longer than its children', Buffer.from([0x30, 0x04, 0x02, 0x01, 0x00, 0x00])],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0])])],
    ['an indefinite length (BER)', Buffer.from([0x30, 0x80, 0x00, 0x00])],
    ['a long-form length under 128', Buffer.from([0x30, 0x81, 0x03, 0x02, 0x01, 0x00])],
    ['a length with a leading zero octet', Buffer.from([0x30, 0x82, 0x00, 0x03, 0x02, 0x01, 0x00])],
    ['a truncated header', Buffer.from([0x30])],
  ])('refuses %s', (_what, b) => {
    expect(() => parseDer(b, 'test')).toThrow(/not valid DER/);
  });

  it('refuses nesting deeper than the limit without recursing into it', () => {
    let b: Buffer = Buffer.from([0x05, 0x00]);
    for (let i = 0; i < 100; i++) b = seq(b);
    expect(() => parseDer(b, 'deep', 1000, 64)).toThrow(/deeper than 64/);
    expect(() => parseDer(b, 'deep', 1000, 200)).not.toThrow();
  });

  it('reads UTCTime and GeneralizedTime', () => {
    const d = new Date('2026-03-15T09:30:00Z');
    expect(timeOf(readNode(utcTime(d))).toISOString()).toBe(d.toISOString());
    expect(timeOf(readNode(generalizedTime(d))).toISOString()).toBe(d.toISOString());
  });
});
