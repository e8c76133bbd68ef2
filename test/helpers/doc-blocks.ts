import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The code blocks of the documents a user pastes from, read by their marker so that a test runs
 * the very text the user reads (docs and tests cannot drift).
 *
 * Every fenced block in these documents is preceded by one of:
 *   <!-- doc-test: ID -->          a test runs it: `docBlock('ID')`;
 *   <!-- doc-test: ci -->          .ci/run runs these very command lines;
 *   <!-- doc-test: output -->      not a command: what the simulator prints or answers;
 *   <!-- doc-test: not run, WHY --> nothing runs it here, and WHY says what it would need.
 * test/unit/docs/doc-blocks.test.ts fails on a block without a marker, a duplicate ID, or an ID no
 * test uses.
 */

export const REPO = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const PASTED_DOCUMENTS = ['README.md', 'docs/shipping.md'] as const;

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** The marker's text after `doc-test:`, or undefined when there is none. */
  marker: string | undefined;
}

const MARKER = /^<!--\s*doc-test:\s*(.+?)\s*-->\s*$/;

export function docBlocksOf(file: string): DocBlock[] {
  const lines = readFileSync(join(REPO, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[j]!); j++) {
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!);
    }
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const marker = k >= 0 ? MARKER.exec(lines[k]!.trim())?.[1] : undefined;
    blocks.push({ file, line: i + 1, lang: lang ?? '', code: `${body.join('\n')}\n`, marker });
    i = j;
  }
  return blocks;
}

export function allDocBlocks(): DocBlock[] {
  return PASTED_DOCUMENTS.flatMap((f) => docBlocksOf(f));
}

/** The code of the block marked `<!-- doc-test: id -->`; throws when there is not exactly one. */
export function docBlock(id: string): string {
  const found = allDocBlocks().filter((b) => b.marker === id);
  if (found.length !== 1) throw new Error(`expected one block marked doc-test: ${id}, found ${found.length}`);
  return found[0]!.code;
}
