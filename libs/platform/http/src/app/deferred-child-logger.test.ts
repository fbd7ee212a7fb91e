import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { deferredChildLogger } from './deferred-child-logger';
import { createLogger } from './logger';

/** A logger as services make it, writing into `lines` (parsed, without the time). */
function collectingLogger(level: 'info' | 'debug' = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('test-api', level, {
    write(line: string) {
      const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
      lines.push(rest);
    },
  });
  return { logger, lines };
}

/** What the same calls write through a pino child and through a deferred child, side by side. */
function bothWays(use: (logger: FastifyBaseLogger) => void, level: 'info' | 'debug' = 'info') {
  const pinoChild = collectingLogger(level);
  use(pinoChild.logger.child({ request_id: 'req-1' }).child({ client_id: 'bank-1' }));
  const deferred = collectingLogger(level);
  use(deferredChildLogger(deferred.logger, { request_id: 'req-1' }, {}).child({ client_id: 'bank-1' }));
  return { expected: pinoChild.lines, actual: deferred.lines };
}

describe('deferredChildLogger', () => {
  it('writes the lines a pino child writes, keys in the same order', () => {
    // Made once, so both loggers see the same stack.
    const unreachable = new Error('database unreachable');
    const thrown = new Error('thrown as is');
    const { expected, actual } = bothWays((log) => {
      log.info({ method: 'GET', path: '/v1/accounts', status: 200 }, 'request completed');
      log.warn('plain message %s', 'with an argument');
      log.error({ err: unreachable }, 'read failed');
      log.error(thrown);
      log.info({ headers: { authorization: 'Bearer secret' } }, 'redacted');
      log.debug('below the level');
    });
    expect(actual).toEqual(expected);
    expect(actual.map((line) => Object.keys(line))).toEqual(expected.map((line) => Object.keys(line)));
    expect(actual[0]).toMatchObject({
      service: 'test-api',
      request_id: 'req-1',
      client_id: 'bank-1',
      status: 200,
    });
    expect(actual[4]).toMatchObject({ headers: { authorization: '[redacted]' } });
    expect(actual).toHaveLength(5);
  });

  it('keeps the bindings of its own children apart', () => {
    const { logger, lines } = collectingLogger();
    const request = deferredChildLogger(logger, { request_id: 'req-2' }, {});
    const job = request.child({ job: 'screening' });
    job.info('in the job');
    request.info('in the request');
    expect(lines).toEqual([
      expect.objectContaining({ request_id: 'req-2', job: 'screening', msg: 'in the job' }),
      { level: 30, service: 'test-api', request_id: 'req-2', msg: 'in the request' },
    ]);
  });

  it('follows its parent level, and a level set on it applies to it alone', () => {
    const { logger, lines } = collectingLogger();
    const request = deferredChildLogger(logger, { request_id: 'req-3' }, {});
    expect(request.level).toBe('info');
    request.level = 'debug';
    request.debug('now visible');
    logger.debug('still hidden');
    expect(lines).toEqual([expect.objectContaining({ request_id: 'req-3', msg: 'now visible' })]);
    const quiet = deferredChildLogger(logger, { request_id: 'req-4' }, { level: 'error' });
    quiet.info('hidden by the child option');
    expect(lines).toHaveLength(1);
  });
});
