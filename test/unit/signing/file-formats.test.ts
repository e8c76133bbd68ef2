import { describe, expect, it } from 'vitest';
import { SIGNATURE_FILES, signatureFileName, signatureFileOf, siblingNamesFor } from '../../../src/signing/formats.js';
import { detect } from '../../../src/signing/validation/detect.js';

describe('the formats table', () => {
  it('names signature files and finds their data file', () => {
    expect(SIGNATURE_FILES.map((f) => f.suffix)).toEqual(['.p7s', '.p7m', '.xades.xml']);
    expect(signatureFileName('p7s', 'notes.txt')).toBe('notes.txt.p7s');
    expect(signatureFileOf('notes.txt.XADES.xml')).toMatchObject({ format: { kind: 'xades' }, dataName: 'notes.txt' });
    expect(signatureFileOf('invoice.xml')).toBeUndefined();
    expect(signatureFileOf('.p7s')).toBeUndefined();
  });

  it('gives the sibling rule the engine and the worker use', () => {
    expect(siblingNamesFor('notes.txt')).toEqual(['notes.txt.p7s', 'notes.txt.xades.xml']);
    expect(siblingNamesFor('notes.txt.p7s')).toEqual(['notes.txt.p7s.p7s', 'notes.txt.p7s.xades.xml', 'notes.txt']);
    expect(siblingNamesFor('a.xades.xml')).toContain('a');
  });
});

describe('detect', () => {
  const none = () => undefined;
  it('by name first, then content, then a sibling signature', () => {
    expect(detect('x.p7m', Buffer.from('0'), none).first).toMatchObject({ kind: 'cades', enveloping: true });
    expect(detect('x.p7s', Buffer.from('0'), (n) => (n === 'x' ? Buffer.from('data') : undefined)).first).toMatchObject({
      kind: 'cades',
      enveloping: false,
      dataName: 'x',
    });
    expect(detect('x.pdf', Buffer.from('%PDF-1.7\n'), none).first.kind).toBe('pdf');
    expect(detect('x.xml', Buffer.from('<a xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>'), none).first.kind).toBe('xml');
    const sib = detect('notes.txt', Buffer.from('hello'), (n) => (n === 'notes.txt.p7s' ? Buffer.from('sig') : undefined));
    expect(sib.first).toMatchObject({ kind: 'cades', label: 'CAdES detached (signature in notes.txt.p7s)' });
    expect(detect('notes.txt', Buffer.from('hello'), none).first.kind).toBe('none');
    // a PDF without signature fields falls back to a detached signature beside it
    expect(detect('x.pdf', Buffer.from('%PDF-1.7\n'), (n) => (n === 'x.pdf.xades.xml' ? Buffer.from('<x/>') : undefined)).fallback[0]?.kind).toBe(
      'xades-detached',
    );
  });
});
