import closeWithGrace from 'close-with-grace';
import Type from 'typebox';
import { ConfigError, HttpConfigSchema, LogConfigSchema, loadConfig } from '@ledgerline/config';
import { buildGatewayApp } from './app';

const GatewayConfigSchema = Type.Object({
  ...HttpConfigSchema.properties,
  ...LogConfigSchema.properties,
  ACCOUNTS_API_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3001' }),
  TRANSACTIONS_API_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3002' }),
  OPS_API_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3003' }),
  COMPLIANCE_API_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3004' }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 35_000 }),
});

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
