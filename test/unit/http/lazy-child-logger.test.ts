import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from '../../../src/http/lazy-child-logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
const flush = () => new Promise((r) => setImmediate(r));

describe('lazyChildLogger', () => {
  it("writes what pino's child would, with the bindings, at enabled levels only", async () => {
    const { logger, lines } = capture('warn');
    const child = lazyChildLogger(logger, { reqId: 'req-7' }, {});
    child.info({ a: 1 }, 'not at warn');
    child.debug('nor this');
    child.warn({ code: 'x' }, 'kept');
    child.error(new Error('boom'));
    await flush();
    expect(lines.map((l) => [l.level, l.reqId, l.msg])).toEqual([
      [40, 'req-7', 'kept'],
      [50, 'req-7', 'boom'],
    ]);
    expect(lines[0]!.code).toBe('x');
  });

  it("follows the parent's level, and its own once set; grandchildren keep the binding", async () => {
    const { logger, lines } = capture('info');
    const child = lazyChildLogger(logger, { reqId: 'req-8' }, {});
    expect(child.level).toBe('info');
    child.info('one');
    child.child({ part: 'sub' }).info('two');
    child.level = 'error';
    child.warn('dropped');
    expect(child.level).toBe('error');
    await flush();
    expect(lines.map((l) => [l.reqId, l.part, l.msg])).toEqual([
      ['req-8', undefined, 'one'],
      ['req-8', 'sub', 'two'],
    ]);
  });
});
