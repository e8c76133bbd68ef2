import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessDef } from '../../../src/domain/process.js';
import { loadOrCreatePki, type LoadOrCreatePkiOptions, type Pki } from '../../../src/signing/pki.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DOCS = join(ROOT, 'fixtures', 'documents');

export function doc(name: string): Buffer {
  return readFileSync(join(DOCS, name));
}

export const PROCESSES: ProcessDef[] = (JSON.parse(readFileSync(join(ROOT, 'fixtures', 'processes.json'), 'utf8')) as { processes: ProcessDef[] }).processes;

export function processById(id: number): ProcessDef {
  const p = PROCESSES.find((x) => x.id === id);
  if (!p) throw new Error(`no process ${id}`);
  return p;
}

export const NOW = new Date('2026-03-15T09:30:00Z');

/**
 * The PKI shared by the test files (default key type; RSA generation would be the slow part): kept
 * in $TMPDIR under a hash of the PKI code, so it is regenerated whenever that code changes.
 * Concurrent test files load it safely (loadOrCreatePki locks its dir).
 */
export async function sharedPki(): Promise<{ pki: Pki; dir: string; cleanup: () => void }> {
  const h = createHash('sha256');
  for (const f of ['pki.ts', 'pki-material.ts', 'der.ts', 'cert-builder.ts']) h.update(readFileSync(join(ROOT, 'src', 'signing', f)));
  const dir = join(tmpdir(), `sealsim-unit-pki-${h.digest('hex').slice(0, 16)}`);
  const pki = await loadOrCreatePki({ dir });
  return { pki, dir, cleanup: () => {} };
}

/** A fresh PKI in a temp dir. */
export async function tempPki(extra: Partial<LoadOrCreatePkiOptions> = {}): Promise<{ pki: Pki; dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'sealsim-pki-'));
  const pki = await loadOrCreatePki({ dir, ...extra });
  return { pki, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Flips one byte (XOR 0x01) at `pos` (negative = from the end). */
export function flip(b: Buffer, pos: number): Buffer {
  const c = Buffer.from(b);
  const i = pos < 0 ? c.length + pos : pos;
  c[i] = c[i]! ^ 0x01;
  return c;
}
