import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

const migrationsDir = join(import.meta.dirname, '../../prisma/migrations');

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function readMigrations(): Promise<{ name: string; sql: string }[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      sql: await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8'),
    })),
  );
}

export async function withClient<T>(
  url: string,
  use: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/**
 * Builds (once per migration content) a database with every migration applied, which each test
 * file then clones: cloning a template takes milliseconds, migrating takes seconds.
 */
export async function prepareTemplateDatabase(adminUrl: string): Promise<string> {
  const migrations = await readMigrations();
  const hash = createHash('sha256')
    .update(migrations.map((m) => `${m.name}\n${m.sql}`).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const template = `slipway_template_${hash}`;

  const exists = await withClient(adminUrl, async (client) => {
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    return result.rowCount === 1;
  });
  if (exists) return template;

  const building = `${template}_building_${process.pid}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${building}"`));
  await withClient(databaseUrl(adminUrl, building), async (client) => {
    for (const migration of migrations) await client.query(migration.sql);
  });
  // Renaming at the end means a half-built template is never mistaken for a finished one.
  await withClient(adminUrl, async (client) => {
    try {
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    } catch (error) {
      await client.query(`DROP DATABASE IF EXISTS "${building}"`);
      const raced = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (raced.rowCount !== 1) throw error;
    }
  });
  return template;
}
