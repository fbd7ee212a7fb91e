import type { IncomingMessage } from 'node:http';
import { newUuidV7 } from '@ledgerline/crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Visible ASCII only, at most 128 characters: safe to echo in a header, log, and store (VARCHAR(128)). */
const SANE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Fastify `genReqId`: keeps the caller's `x-request-id` when it is sane, so one id follows a request
 * through the gateway, the services and the queued jobs; otherwise a fresh UUIDv7.
 */
export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  if (typeof sent === 'string' && SANE_REQUEST_ID.test(sent)) return sent;
  return newUuidV7();
}
