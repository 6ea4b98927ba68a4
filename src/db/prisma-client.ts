import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Database = PrismaClient;

export function createDatabase(databaseUrl: string): Database {
  // A bounded connect timeout makes an unreachable database fail requests quickly (503) instead of hanging.
  const adapter = new PrismaPg({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  return new PrismaClient({ adapter });
}
