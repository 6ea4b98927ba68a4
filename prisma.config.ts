import { defineConfig } from 'prisma/config';

// The CLI reads the connection string here (Prisma 7 keeps it out of schema.prisma). `generate`
// needs no database, so an unset DATABASE_URL must not break it.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/slipway' },
});
