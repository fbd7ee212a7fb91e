import { defineConfig } from 'prisma/config';

// The datasource URL is only needed by migrate/introspect commands; `generate` works without it.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env['DATABASE_URL'] ?? 'postgresql://root@127.0.0.1:5432/ledgerline' },
});
