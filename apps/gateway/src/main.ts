import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from '@ledgerline/config';
import { buildGatewayApp } from './app';
import { GatewayConfigSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfig(GatewayConfigSchema, process.env);
  const app = await buildGatewayApp({
    upstreams: {
      accounts: config.ACCOUNTS_API_URL,
      transactions: config.TRANSACTIONS_API_URL,
      compliance: config.COMPLIANCE_API_URL,
      ops: config.OPS_API_URL,
    },
    log_level: config.LOG_LEVEL,
    upstream_timeout_ms: config.UPSTREAM_TIMEOUT_MS,
  });
  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ err }) => {
    if (err) app.log.error({ err }, 'gateway stopping after an error');
    await app.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`gateway: ${error.message}\n`);
  } else {
    process.stderr.write(`gateway: failed to start: ${(error as Error).message}\n`);
  }
  process.exit(1);
});
