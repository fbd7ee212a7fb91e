import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildServiceApp, type ServiceApp } from './build-service-app';
import { acceptMediaType } from './content-types';

let app: ServiceApp;

beforeAll(async () => {
  app = await buildServiceApp({
    service_name: 'media-types',
    log_level: 'silent',
    body_limit_bytes: 1024,
    rate_limit: { max: 10_000, time_window_ms: 60_000 },
  });
  app.post('/v1/json', { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({
    ok: true,
  }));
  await app.register(async (csv) => {
    acceptMediaType(csv, { media_type: 'text/csv', body_limit_bytes: 4096 });
    csv.post(
      '/v1/csv',
      { schema: { response: { 200: Type.Object({ length: Type.Integer() }) } } },
      async (request) => ({
        length: (request.body as string).length,
      }),
    );
  });
  await app.ready();
});
afterAll(() => app.close());

function post(url: string, payload: string, content_type?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    payload,
    headers: content_type === undefined ? {} : { 'content-type': content_type },
  });
}

function expectProblem(response: LightMyRequestResponse, status: number, code: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json().code).toBe(code);
}

describe('acceptMediaType', () => {
  it("hands the plugin's routes the body as text, up to their own limit", async () => {
    const body = 'a,b\r\n'.repeat(600);
    const response = await post('/v1/csv', body, 'text/csv');
    expect(response.json()).toEqual({ length: body.length });
    expect((await post('/v1/csv', 'x', 'text/csv; charset=utf-8')).json()).toEqual({ length: 1 });
    expect((await post('/v1/csv', 'x', 'Text/CSV; charset="UTF-8"')).json()).toEqual({ length: 1 });
    expect((await post('/v1/csv', '', 'text/csv')).json()).toEqual({ length: 0 });
    expectProblem(await post('/v1/csv', 'x'.repeat(4097), 'text/csv'), 413, 'payload_too_large');
  });

  it('refuses any other media type on those routes, JSON included, naming the one they take', async () => {
    for (const content_type of [
      'application/json',
      'text/plain',
      'text/csv; charset=iso-8859-1',
      undefined,
    ]) {
      const response = await post(
        '/v1/csv',
        content_type === 'application/json' ? '{}' : 'a,b',
        content_type,
      );
      expectProblem(response, 415, 'unsupported_media_type');
      expect(response.json().detail).toBe('Send the request body as text/csv (UTF-8).');
    }
  });

  it('leaves every other route JSON only, with the app limit', async () => {
    expect((await post('/v1/json', '{}', 'application/json')).json()).toEqual({ ok: true });
    expectProblem(await post('/v1/json', 'a,b', 'text/csv'), 415, 'unsupported_media_type');
    expectProblem(
      await post('/v1/json', JSON.stringify({ pad: 'x'.repeat(2000) }), 'application/json'),
      413,
      'payload_too_large',
    );
  });
});
