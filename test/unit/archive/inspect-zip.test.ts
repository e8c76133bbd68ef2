import { describe, expect, it } from 'vitest';
import { inspectZip } from '../../../src/archive/inspect-zip.js';
import { defaultZipLimits, type ZipLimits } from '../../../src/archive/limits.js';
import { packageInvalidReasons, packageTooLargeReasons, quoteEntry } from '../../../src/archive/rejections.js';
import { domainError, fixture, openFdCount } from './helpers.js';
import { limitCases, zipFixtures, type Expectation } from './zip-fixtures.js';

const limitsWith = (over: Partial<ZipLimits> = {}): ZipLimits => ({ ...defaultZipLimits, ...over });

async function check(file: string, limits: ZipLimits, expected: Expectation): Promise<void> {
  if (expected.ok) {
    const entries = await inspectZip(fixture(file), limits);
    expect(entries.map((e) => e.name)).toEqual(expected.names);
    for (const e of entries) {
      expect(e.size).toBeGreaterThanOrEqual(0);
      expect(e.crc32).toBeGreaterThanOrEqual(0);
    }
    return;
  }
  const err = await domainError(inspectZip(fixture(file), limits));
  expect(err.code).toBe(expected.code);
  expect(err.extra.reason).toBe(expected.reason);
  if (expected.entry !== undefined) {
    expect(err.extra.entry).toBe(expected.entry);
    // The detail names the entry, so a person reading only the message can find it.
    expect(err.detail.toLowerCase()).toContain(quoteEntry(expected.entry).toLowerCase());
  } else {
    expect(err.extra).not.toHaveProperty('entry');
  }
  expect(err.detail).toMatch(/(upload|again)/); // every detail says what to do
}

describe('inspectZip on the committed fixtures', () => {
  for (const f of zipFixtures) {
    const title = f.expect.ok ? `${f.file}: accepted` : `${f.file}: ${f.expect.code} / ${f.expect.reason}`;
    it(title, async () => {
      await check(f.file, limitsWith(f.limits), f.expect);
    });
  }

  it('every reason code has a fixture or a limit case', () => {
    const covered = new Set([...zipFixtures.map((f) => f.expect), ...limitCases.map((c) => c.expect)].flatMap((e) => (e.ok ? [] : [e.reason])));
    const notByFixture = new Set(['upload-too-large']); // receiveUpload's, tested there
    for (const reason of [...packageInvalidReasons, ...packageTooLargeReasons]) {
      if (!notByFixture.has(reason)) expect(covered, reason).toContain(reason);
    }
  });
});

describe('inspectZip under tightened limits', () => {
  for (const c of limitCases) {
    it(c.title, async () => {
      await check(c.file, limitsWith(c.limits), c.expect);
    });
  }

  it('aborts an under-declared bomb at the first chunk past the declared size', async () => {
    const err = await domainError(inspectZip(fixture('under-declared-size.zip'), defaultZipLimits));
    expect(err.detail).toContain('more than the 1000 bytes its header declares');
  });

  it('reports the limit and the setting that raises it', async () => {
    const err = await domainError(inspectZip(fixture('entry-too-large.zip'), defaultZipLimits));
    expect(err.extra).toMatchObject({ limit: defaultZipLimits.maxEntryBytes, setting: 'SEAL_SIM_MAX_ENTRY_BYTES' });
    expect(err.detail).toContain('SEAL_SIM_MAX_ENTRY_BYTES');
  });

  it('escapes invisible characters when naming an entry', async () => {
    const err = await domainError(inspectZip(fixture('bidi-override-name.zip'), defaultZipLimits));
    expect(err.detail).toContain('"invoice\\u202efdp.exe"');
    expect(err.detail).not.toContain('\u202e');
  });

  it('returns sizes and CRCs that match the content', async () => {
    const [entry] = await inspectZip(fixture('valid-single.zip'), defaultZipLimits);
    expect(entry).toMatchObject({ name: 'contract.pdf' });
    expect(entry?.size).toBeGreaterThan(100);
    expect(entry?.compressedSize).toBeGreaterThan(0);
  });
});

describe('resources', () => {
  it('leaks no file descriptors over a batch of hostile inspections', async () => {
    const hostile = zipFixtures.filter((f) => !f.expect.ok).map((f) => f.file);
    // warm up (lazy module loads and the like open descriptors of their own)
    await inspectZip(fixture('valid-flat.zip'), defaultZipLimits);
    const before = await openFdCount();
    for (let round = 0; round < 3; round++) {
      for (const file of hostile) await inspectZip(fixture(file), defaultZipLimits).catch(() => undefined);
      await inspectZip(fixture('valid-flat.zip'), defaultZipLimits);
    }
    expect(await openFdCount()).toBe(before);
  });

  it('rejects a missing file with the I/O error, not a DomainError', async () => {
    await expect(inspectZip(fixture('does-not-exist.zip'), defaultZipLimits)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
