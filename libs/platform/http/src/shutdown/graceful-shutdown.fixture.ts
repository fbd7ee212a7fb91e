// A service process for graceful-shutdown tests: `node --import tsx <this file> <grace_ms> <slow_ms>`.
// It prints its port, then waits for the test to send requests and a signal.
import { setTimeout as sleep } from 'node:timers/promises';
import Type from 'typebox';
import { buildServiceApp } from '../app/build-service-app';
import { installGracefulShutdown } from './graceful-shutdown';

const grace_ms = Number(process.argv[2]);
const slow_ms = Number(process.argv[3]);
const app = await buildServiceApp({
  service_name: 'shutdown-fixture',
  log_level: 'info',
  rate_limit: { max: 100, time_window_ms: 60_000 },
});
app.get('/v1/slow', { schema: { response: { 200: Type.Object({ done: Type.Boolean() }) } } }, async () => {
  await sleep(slow_ms);
  return { done: true };
});
installGracefulShutdown(app, { grace_ms });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`LISTENING ${new URL(address).port}\n`);
