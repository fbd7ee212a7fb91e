import { stdoutLogDestination } from '@ledgerline/config';
import { pino, type DestinationStream, type Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Paths pino blanks out wherever they appear in a log line. Fastify does not log headers or bodies by
 * default; this is the second line of defence for code that logs them anyway.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'client_secret',
  'access_token',
  'password',
  'secret',
  '*.authorization',
  '*.client_secret',
  '*.access_token',
  '*.password',
  '*.secret',
  'body.client_secret',
  'req.body.client_secret',
];

export function createLogger(service_name: string, level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: service_name },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination ?? stdoutLogDestination());
}
