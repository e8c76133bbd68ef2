import { describe, expect, it } from 'vitest';
import { isSecretParam, redactText, redactUrl } from '../../../src/http/redact-url.js';

describe('redactUrl', () => {
  it('replaces the values of credential query parameters, keeping everything else as sent', () => {
    expect(redactUrl('/_simulator/state?token=abc&scope=all')).toBe('/_simulator/state?token=[redacted]&scope=all');
    expect(redactUrl('/api/BatchStatus/1?api_key=k1&x=1&API-KEY=k2&apiKey=k3&access_token=t#frag')).toBe(
      '/api/BatchStatus/1?api_key=[redacted]&x=1&API-KEY=[redacted]&apiKey=[redacted]&access_token=[redacted]#frag',
    );
    expect(redactUrl('/api/x?key=1&password=2&secret=3&keyword=4')).toBe('/api/x?key=[redacted]&password=[redacted]&secret=[redacted]&keyword=4');
    expect(redactUrl('/api/x?tok%65n=1')).toBe('/api/x?tok%65n=[redacted]'); // an escaped name is still a token
    expect(redactUrl('/api/BatchStatus/1')).toBe('/api/BatchStatus/1');
    expect(redactUrl('/api/BatchStatus/1?token')).toBe('/api/BatchStatus/1?token'); // no value to hide
  });

  it('knows credential names in any case and spelling', () => {
    for (const name of ['token', 'TOKEN', 'api_key', 'api-key', 'apikey', 'X-Admin-Token', 'client_secret']) expect(isSecretParam(name), name).toBe(true);
    for (const name of ['batchId', 'scope', 'tenant', 'limit']) expect(isSecretParam(name), name).toBe(false);
  });
});

describe('redactText', () => {
  it('redacts credential query values inside free text, such as an error message quoting a URL', () => {
    expect(redactText("'/api/upload/%?token=s3cret&x=1' is not a valid url component")).toBe(
      "'/api/upload/%?token=[redacted]&x=1' is not a valid url component",
    );
    expect(redactText('nothing to hide here')).toBe('nothing to hide here');
  });
});
