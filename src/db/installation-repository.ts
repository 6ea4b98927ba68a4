import { randomUUID } from 'node:crypto';
import type { Database } from './prisma-client.js';

/**
 * This database's installation id, created on first use. Concurrent first starts agree: the
 * insert of the one row either wins or leaves the row already there.
 */
export async function loadInstallationId(db: Database): Promise<string> {
  await db.$executeRaw`
    INSERT INTO installation (singleton, id) VALUES (1, ${randomUUID()}::uuid)
    ON CONFLICT (singleton) DO NOTHING`;
  const row = await db.installation.findUniqueOrThrow({
    where: { singleton: 1 },
    select: { id: true },
  });
  return row.id;
}
