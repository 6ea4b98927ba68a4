import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Database = PrismaClient;

/** The client an interactive transaction hands to its callback. */
export type Transaction = Parameters<Parameters<Database['$transaction']>[0]>[0];

export function createDatabase(databaseUrl: string): Database {
  // A bounded connect timeout makes an unreachable database fail requests quickly (503) instead of hanging.
  const adapter = new PrismaPg({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  return new PrismaClient({ adapter });
}
