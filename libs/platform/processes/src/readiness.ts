import type { AppReadiness } from './app-process';
import type { PlatformApp } from './build-apps';
import { isHttpApp, type HttpApp } from './platform-environment';

/** The log message each worker writes once it consumes its queue: workers have no HTTP endpoint to ask. */
export const WORKER_READY_MESSAGES: Readonly<Record<Exclude<PlatformApp, HttpApp>, string>> = {
  'outbox-relay': 'outbox relay started',
  'compliance-worker': 'compliance worker started',
  'ledger-worker': 'ledger worker started',
};

/** How to tell that `app` is ready: `GET /readyz` on its port (an HTTP app), else its worker log message. */
export function appReadiness(app: PlatformApp, ports: Readonly<Record<HttpApp, number>>): AppReadiness {
  return isHttpApp(app)
    ? { http: `http://127.0.0.1:${ports[app]}` }
    : { log_message: WORKER_READY_MESSAGES[app] };
}
