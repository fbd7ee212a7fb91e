/**
 * Reference B: the bare Fastify hello-world the HTTP figures are compared against. No logger, no
 * plugins: the most a Fastify process can answer on this machine.
 */
import Fastify from 'fastify';

const port = Number(process.env['PORT'] ?? 0);
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});

await app.listen({ host: '127.0.0.1', port });
