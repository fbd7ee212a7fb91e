import { ConfigError } from '@ledgerline/config';
import { buildServiceApp } from '@ledgerline/http';
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { trustProxyOf } from './api-config';

describe('trustProxyOf', () => {
  it('reads true, false, and lists of addresses, ranges and range names', () => {
    expect(trustProxyOf('false')).toBe(false);
    expect(trustProxyOf('true')).toBe(true);
    expect(trustProxyOf('loopback')).toBe('loopback');
    expect(trustProxyOf('10.0.0.0/8, 192.168.1.7,fd00::/8')).toBe('10.0.0.0/8,192.168.1.7,fd00::/8');
  });

  it('refuses anything else with one line naming the entry', () => {
    for (const value of ['yes', '2', '10.0.0.0/33', 'fd00::/129', 'proxy.internal', '10.0.0.1/8/8', '']) {
      expect(() => trustProxyOf(value), value).toThrowError(ConfigError);
    }
    expect(() => trustProxyOf('loopback,nginx')).toThrowError(
      /^Invalid configuration: TRUST_PROXY .*\(got "nginx"\)$/,
    );
  });

  it('believes X-Forwarded-For only from the peers it names', async () => {
    const app = await buildServiceApp({
      service_name: 'trust-test',
      log_level: 'silent',
      trust_proxy: trustProxyOf('loopback'),
      rate_limit: { max: 100, time_window_ms: 60_000 },
    });
    app.get(
      '/v1/ip',
      { schema: { response: { 200: Type.Object({ ip: Type.String() }) } } },
      async (request) => ({ ip: request.ip }),
    );
    await app.ready();
    try {
      const ipSeenFrom = async (remoteAddress: string) =>
        (
          await app.inject({ url: '/v1/ip', remoteAddress, headers: { 'x-forwarded-for': '203.0.113.9' } })
        ).json<{ ip: string }>().ip;
      expect(await ipSeenFrom('127.0.0.1')).toBe('203.0.113.9');
      // A peer that is not the proxy cannot choose the address its limits count against.
      expect(await ipSeenFrom('198.51.100.7')).toBe('198.51.100.7');
    } finally {
      await app.close();
    }
  });
});
