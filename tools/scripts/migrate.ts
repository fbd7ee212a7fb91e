/** `npm run migrate`: applies the SQL migrations to DATABASE_URL and says what it did. */
import { ConfigError, DatabaseConfigSchema, loadConfig } from '@ledgerline/config';
import { migrate } from '@ledgerline/db';

try {
  const config = loadConfig(DatabaseConfigSchema, process.env);
  const result = await migrate(config.DATABASE_URL);
  process.stdout.write(
    `migrations applied: ${result.applied.join(', ') || 'none'}; already applied: ${result.already_applied.length}\n`,
  );
} catch (error) {
  process.stderr.write(
    `migrate: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`,
  );
  process.exit(1);
}
