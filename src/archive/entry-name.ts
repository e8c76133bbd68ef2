import { crc32 } from 'node:zlib';
import type { PackageInvalidReason } from './rejections.js';

/**
 * Entry names are decoded here rather than by yauzl (which runs with `decodeStrings: false`), so a
 * bad name is reported with the entry it belongs to and a stable reason, not a generic error.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

// IBM437, the ZIP spec's (APPNOTE 4.4.4) encoding for names without the UTF-8 flag.
const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeCp437(raw: Buffer): string {
  let s = '';
  for (const b of raw) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return s;
}

export type DecodedName = { ok: true; name: string } | { ok: false; lossy: string };

/**
 * Decode a raw central-directory name.
 * 1. An Info-ZIP Unicode Path extra field (0x7075) whose CRC matches the raw name wins, as in
 *    yauzl and Info-ZIP; it must be valid UTF-8.
 * 2. General-purpose flag bit 11 set: the name must be valid UTF-8.
 * 3. No flag: valid UTF-8 is taken as UTF-8 (what most tools write, and what .NET decodes by
 *    default), anything else as IBM437 per the ZIP spec.
 *    NOTE: a Windows "Send to > Compressed folder" ZIP with Polish names carries CP852 bytes and
 *    no flag; like most readers we cannot tell and show them as IBM437.
 * The result is then checked like any other name, so nothing here can smuggle in a path.
 */
export function decodeEntryName(raw: Buffer, generalPurposeBitFlag: number, extraFieldRaw: Buffer): DecodedName {
  const unicodePath = findUnicodePathField(extraFieldRaw, raw);
  if (unicodePath) return strictUtf8(unicodePath);
  if (generalPurposeBitFlag & 0x800) return strictUtf8(raw);
  const asUtf8 = strictUtf8(raw);
  return asUtf8.ok ? asUtf8 : { ok: true, name: decodeCp437(raw) };
}

function strictUtf8(raw: Buffer): DecodedName {
  try {
    return { ok: true, name: utf8.decode(raw) };
  } catch {
    return { ok: false, lossy: raw.toString('utf8') };
  }
}

function findUnicodePathField(extra: Buffer, rawName: Buffer): Buffer | undefined {
  // Walk the extra fields ourselves: a malformed list simply has no usable field (yauzl already
  // refused lists whose lengths overflow).
  let i = 0;
  while (i + 4 <= extra.length) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    const data = extra.subarray(i + 4, i + 4 + len);
    if (data.length < len) return undefined;
    if (id === 0x7075 && data.length >= 6 && data[0] === 1 && data.readUInt32LE(1) === crc32(rawName)) {
      return data.subarray(5);
    }
    i += 4 + len;
  }
  return undefined;
}

// C0 controls (incl. NUL), DEL, C1 controls, and the invisible bidirectional marks/overrides that
// make "invoice\u202Efdp.exe" display as "invoiceexe.pdf".
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const WINDOWS_FORBIDDEN_CHARS = /[<>:"|?*]/;
const WINDOWS_RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.[^.]*)?$/i;

export interface NameProblem {
  reason: PackageInvalidReason;
  /** What is wrong and what to do about it; the caller prefixes the entry's name. */
  explanation: string;
}

/**
 * The rules every entry name must pass, first failure wins. The order makes the reason the most
 * specific one: "../a.pdf" is path traversal rather than a nested path.
 */
export function checkEntryName(name: string, maxNameLength: number): NameProblem | null {
  if (name.length === 0) {
    return { reason: 'empty-name', explanation: 'has an empty file name. Give every file a name and upload again.' };
  }
  if (CONTROL_CHARS.test(name)) {
    return {
      reason: 'control-character-in-name',
      explanation:
        'has a NUL, control or invisible direction-changing character in its name. Rename the file using printable characters only and upload again.',
    };
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > maxNameLength) {
    return {
      reason: 'name-too-long',
      explanation: `has a name of ${bytes} bytes in UTF-8; at most ${maxNameLength} are allowed. Shorten the file name and upload again.`,
    };
  }
  if (name.includes('\\')) {
    return {
      reason: 'backslash-in-name',
      explanation:
        'contains a backslash, which is a path separator on Windows. The vendor requires a flat ZIP: put every file at the top level, with no "\\" in its name, and upload again.',
    };
  }
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    return {
      reason: 'absolute-path',
      explanation: 'is an absolute path. The vendor requires a flat ZIP: put every file at the top level under its plain file name and upload again.',
    };
  }
  if (name.split('/').includes('..')) {
    return {
      reason: 'path-traversal',
      explanation:
        'contains a ".." path segment that points outside the package. The vendor requires a flat ZIP: put every file at the top level under its plain file name and upload again.',
    };
  }
  if (name.endsWith('/')) {
    return {
      reason: 'directory-entry',
      explanation: 'is a folder. The vendor requires a flat ZIP: put every file at the top level, with no folders, and upload again.',
    };
  }
  if (name.includes('/')) {
    return {
      reason: 'nested-path',
      explanation: 'is inside a folder. The vendor requires a flat ZIP: put every file at the top level, with no folders, and upload again.',
    };
  }
  // NOTE: the vendor's server runs on Windows (ASP.NET); names Windows cannot store are refused
  // here instead of failing obscurely later (docs/vendor-contract.md#stricter-reading).
  if (WINDOWS_FORBIDDEN_CHARS.test(name) || WINDOWS_RESERVED_NAMES.test(name) || /[. ]$/.test(name)) {
    return {
      reason: 'windows-invalid-name',
      explanation:
        'is not a valid Windows file name (it uses one of < > : " | ? *, is a reserved device name such as CON or AUX, or ends in a dot or space). Rename the file and upload again.',
    };
  }
  return null;
}

/**
 * The key two names collide under. The vendor's server is Windows/ASP.NET, whose file system
 * compares names case-insensitively, one character at a time (so "ß" does not equal "SS"); we also
 * fold Unicode normalisation so "é" typed two ways (NFC/NFD, as macOS writes it) collides.
 */
export function duplicateKey(name: string): string {
  let key = '';
  for (const ch of name.normalize('NFC')) {
    const upper = ch.toUpperCase();
    key += [...upper].length === 1 ? upper : ch;
  }
  return key;
}
