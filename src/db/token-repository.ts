import type { StoredToken, TokenRepository } from '../services/security-ports.js';
import type { Database } from './prisma-client.js';
import { auditedTransaction } from './audited-transaction.js';
import { failingAsAppNotFound } from './prisma-errors.js';

const withApps = {
  apps: { include: { application: { select: { id: true, name: true } } } },
} as const;

interface TokenRow {
  id: string;
  name: string;
  scope: 'admin' | 'deploy';
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  apps: { application: { id: string; name: string } }[];
}

function toToken(row: TokenRow): StoredToken {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    apps: row.apps
      .map(({ application }) => application)
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export function createTokenRepository(db: Database): TokenRepository {
  return {
    async create(input) {
      const row = await failingAsAppNotFound(() =>
        auditedTransaction(
          db,
          (tx) =>
            tx.apiToken.create({
              data: {
                name: input.name,
                scope: input.scope,
                secretHash: input.hash,
                prefix: input.displayPrefix,
                apps: { create: input.applicationIds.map((applicationId) => ({ applicationId })) },
              },
              include: withApps,
            }),
          (created) => ({ app: null, createdId: created.id }),
        ),
      );
      return toToken(row);
    },

    async list() {
      const rows = await db.apiToken.findMany({
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        include: withApps,
      });
      return rows.map(toToken);
    },

    async findByHash(hash) {
      const row = await db.apiToken.findUnique({ where: { secretHash: hash }, include: withApps });
      return row === null ? null : toToken(row);
    },

    async touch(id, at) {
      await db.apiToken.updateMany({ where: { id }, data: { lastUsedAt: at } });
    },

    async delete(id) {
      return auditedTransaction(
        db,
        async (tx) => (await tx.apiToken.deleteMany({ where: { id } })).count > 0,
        (deleted) => (deleted ? { app: null } : null),
      );
    },
  };
}
