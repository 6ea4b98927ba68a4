import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Database = PrismaClient;

/** The client an interactive transaction hands to its callback. */
export type Transaction = Parameters<Parameters<Database['$transaction']>[0]>[0];

/** The pg pool under each client, for the few hot reads that skip Prisma (see sqlOf). */
const pools = new WeakMap<Database, pg.Pool>();

export function createDatabase(databaseUrl: string): Database {
  // A bounded connect timeout makes an unreachable database fail requests quickly (503) instead of hanging.
  const pool = new pg.Pool({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  // Prisma owns the pool: $disconnect ends it.
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PrismaClient({ adapter });
  pools.set(db, pool);
  return db;
}

/**
 * The connection pool Prisma itself uses, for reads on every request's path (token, app,
 * release commands, env snapshot): through Prisma each costs several times the CPU of the query
 * itself, which is what limited the API's throughput. Same connections, same limits; errors are
 * pg's own, which isConnectionError recognises too.
 */
export function sqlOf(db: Database): pg.Pool {
  const pool = pools.get(db);
  if (pool === undefined) throw new Error('this Database was not made by createDatabase');
  return pool;
}
