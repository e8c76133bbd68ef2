import { describe, expect, it } from 'vitest';
import { checkEntryName, decodeEntryName, duplicateKey } from '../../../src/archive/entry-name.js';

describe('checkEntryName', () => {
  const cases: Array<[string, string | null]> = [
    ['contract.pdf', null],
    ['Umowa zażółć.pdf', null],
    ['.hidden', null],
    ['a..b.pdf', null],
    ['', 'empty-name'],
    ['a\u0000b', 'control-character-in-name'],
    ['a\tb.pdf', 'control-character-in-name'],
    ['a\u007fb.pdf', 'control-character-in-name'],
    ['a\u0085b.pdf', 'control-character-in-name'],
    ['x\u202Efdp.exe', 'control-character-in-name'],
    ['x\u2066y.pdf', 'control-character-in-name'],
    ['a'.repeat(256), 'name-too-long'],
    ['ą'.repeat(128), 'name-too-long'], // 256 UTF-8 bytes
    ['a'.repeat(255), null],
    ['docs\\a.pdf', 'backslash-in-name'],
    ['\\\\server\\share\\a.pdf', 'backslash-in-name'],
    ['/a.pdf', 'absolute-path'],
    ['c:a.pdf', 'absolute-path'],
    ['..', 'path-traversal'],
    ['../a.pdf', 'path-traversal'],
    ['a/../b.pdf', 'path-traversal'],
    ['docs/', 'directory-entry'],
    ['docs/a.pdf', 'nested-path'],
    ['./a.pdf', 'nested-path'],
    ['ab:c.pdf', 'windows-invalid-name'],
    ['a:b.pdf', 'absolute-path'],
    ['what?.pdf', 'windows-invalid-name'],
    ['CON', 'windows-invalid-name'],
    ['nul.txt', 'windows-invalid-name'],
    ['com1.pdf', 'windows-invalid-name'],
    ['console.pdf', null],
    ['a.pdf.', 'windows-invalid-name'],
    ['a.pdf ', 'windows-invalid-name'],
    ['.', 'windows-invalid-name'],
  ];
  for (const [name, reason] of cases) {
    it(`${JSON.stringify(name).slice(0, 40)} → ${reason ?? 'ok'}`, () => {
      expect(checkEntryName(name, 255)?.reason ?? null).toBe(reason);
    });
  }
});

describe('duplicateKey', () => {
  it('folds case like Windows, one character at a time', () => {
    expect(duplicateKey('Report.PDF')).toBe(duplicateKey('report.pdf'));
    expect(duplicateKey('ZAŻÓŁĆ.txt')).toBe(duplicateKey('zażółć.TXT'));
    expect(duplicateKey('straße.pdf')).not.toBe(duplicateKey('strasse.pdf'));
  });
  it('folds NFC/NFD', () => {
    expect(duplicateKey('e\u0301.pdf')).toBe(duplicateKey('\u00e9.pdf'));
  });
});

describe('decodeEntryName', () => {
  it('honours the UTF-8 flag strictly', () => {
    expect(decodeEntryName(Buffer.from('zażółć'), 0x800, Buffer.alloc(0))).toEqual({ ok: true, name: 'zażółć' });
    expect(decodeEntryName(Buffer.from([0xff]), 0x800, Buffer.alloc(0)).ok).toBe(false);
  });
  it('reads unflagged UTF-8 as UTF-8 and anything else as IBM437', () => {
    expect(decodeEntryName(Buffer.from('zażółć'), 0, Buffer.alloc(0))).toEqual({ ok: true, name: 'zażółć' });
    expect(decodeEntryName(Buffer.from([0x82, 0x41]), 0, Buffer.alloc(0))).toEqual({ ok: true, name: 'éA' });
  });
  it('uses a matching Info-ZIP Unicode Path field (whose result is then checked like any name)', async () => {
    const { crc32 } = await import('node:zlib');
    const raw = Buffer.from('a.pdf');
    const unicode = Buffer.from('../evil.pdf');
    const data = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), unicode]);
    data.writeUInt32LE(crc32(raw), 1);
    const header = Buffer.alloc(4);
    header.writeUInt16LE(0x7075, 0);
    header.writeUInt16LE(data.length, 2);
    const extra = Buffer.concat([header, data]);
    expect(decodeEntryName(raw, 0, extra)).toEqual({ ok: true, name: '../evil.pdf' });
    data.writeUInt32LE(0, 1); // wrong CRC: ignored
    expect(decodeEntryName(raw, 0, Buffer.concat([header, data]))).toEqual({ ok: true, name: 'a.pdf' });
  });
});
