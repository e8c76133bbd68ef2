import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactHeaders, redactPath } from '../../../src/calibrate/cassette.js';
import { DATE_FORMATS, DEFAULT_PROFILE, DEFAULT_PROFILE_FILE, dateFormatter, detectDateFormat, parseProfile } from '../../../src/contract/vendor-profile.js';
import { loadConfig } from '../../../src/config.js';
import { REPO_ROOT } from '../../e2e/process.js';

describe('vendor profile', () => {
  it('the committed default profile file is the default the code uses', () => {
    const file = parseProfile(JSON.parse(readFileSync(join(REPO_ROOT, DEFAULT_PROFILE_FILE), 'utf8')));
    expect(file).toEqual(DEFAULT_PROFILE);
  });

  it('refuses a bad profile naming the field and what is allowed', () => {
    const bad = { ...DEFAULT_PROFILE, refusals: { ...DEFAULT_PROFILE.refusals, wrong_state: 200 } };
    expect(() => parseProfile(bad)).toThrow(/"refusals.wrong_state" must be an HTTP error status/);
    expect(() => parseProfile({ ...DEFAULT_PROFILE, dates: { format: 'dd.MM.yyyy', utcOffsetMinutes: 0 } })).toThrow(/"dates.format" must be one of/);
    expect(() => parseProfile({ ...DEFAULT_PROFILE, errorBody: { shape: 'json', fields: { message: 'text' } } })).toThrow(/errorBody.fields.message/);
  });

  it('writes every date format it can detect, at any offset, and detects it back', () => {
    const ms = Date.UTC(2026, 10, 30, 8, 5, 7, 123);
    for (const format of DATE_FORMATS) {
      for (const utcOffsetMinutes of [0, 60, -330]) {
        const text = dateFormatter({ format, utcOffsetMinutes })(ms);
        const seen = detectDateFormat(text);
        const zoneless = format === 'yyyy-MM-dd HH:mm:ss' || format === 'yyyy-MM-ddTHH:mm:ss';
        // Z formats spell a non-zero offset as ±hh:mm: what a service in that zone would write.
        if (zoneless) expect(seen).toEqual({ format, offsetMinutes: null });
        else expect(seen?.offsetMinutes).toBe(utcOffsetMinutes);
      }
    }
    expect(dateFormatter({ format: 'yyyy-MM-dd HH:mm:ss', utcOffsetMinutes: 60 })(ms)).toBe('2026-11-30 09:05:07');
  });

  it('a profile stands in for the defaults of status table, JSON types and timing; explicit settings win', () => {
    const path = join(REPO_ROOT, 'test/unit/calibrate/observed-profile.json');
    const withProfile = loadConfig([`--profile=${path}`], {}).config;
    expect(withProfile).toMatchObject({ statusTable: 'B', json: 'typed', timing: 'recorded' });
    expect(withProfile.profile.refusals.wrong_state).toBe(404);
    const explicit = loadConfig([`--profile=${path}`, '--status-table=A'], { SEAL_SIM_TIMING: 'instant' }).config;
    expect(explicit).toMatchObject({ statusTable: 'A', json: 'typed', timing: 'instant' });
    expect(() => loadConfig(['--timing=recorded'], {})).toThrow(/needs a vendor profile with observed timings/);
  });
});

describe('cassette redaction', () => {
  it('never keeps a credential', () => {
    expect(redactHeaders({ 'API-KEY': 'k', Authorization: 'Basic x', cookie: 'a=b', 'content-type': 'application/json' })).toEqual({
      'api-key': '[redacted]',
      authorization: '[redacted]',
      cookie: '[redacted]',
      'content-type': 'application/json',
    });
    expect(redactPath('/_simulator/state?token=s3cret&scope=all&api_key=k')).toBe('/_simulator/state?token=[redacted]&scope=all&api_key=[redacted]');
    expect(redactPath('/api/BatchStatus/1')).toBe('/api/BatchStatus/1');
  });
});
