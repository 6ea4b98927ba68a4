import type { StoredToken, TokenRepository } from '../services/security-ports.js';
import { sqlOf, type Database } from './prisma-client.js';
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

interface TokenSqlRow {
  id: string;
  name: string;
  scope: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** json_agg of {id, name}: checked, not trusted. */
  apps: unknown;
}

function fromSqlRow(row: TokenSqlRow): TokenRow {
  if (row.scope !== 'admin' && row.scope !== 'deploy') {
    throw new Error(`token ${row.id} has an unknown scope ${row.scope}`);
  }
  const apps = Array.isArray(row.apps) ? row.apps : [];
  return {
    ...row,
    scope: row.scope,
    apps: apps.flatMap((app: unknown) =>
      typeof app === 'object' &&
      app !== null &&
      'id' in app &&
      'name' in app &&
      typeof app.id === 'string' &&
      typeof app.name === 'string'
        ? [{ application: { id: app.id, name: app.name } }]
        : [],
    ),
  };
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
      // Authentication's read: one plain pg query, the apps aggregated (see sqlOf).
      const result = await sqlOf(db).query<TokenSqlRow>(
        `SELECT t.id::text AS "id", t.name, t.scope::text AS "scope", t.prefix,
                t.created_at AS "createdAt", t.last_used_at AS "lastUsedAt",
                COALESCE(json_agg(json_build_object('id', a.id::text, 'name', a.name))
                  FILTER (WHERE a.id IS NOT NULL), '[]'::json) AS "apps"
         FROM api_tokens t
         LEFT JOIN api_token_apps ta ON ta.token_id = t.id
         LEFT JOIN applications a ON a.id = ta.application_id
         WHERE t.secret_hash = $1
         GROUP BY t.id`,
        [hash],
      );
      const row = result.rows[0];
      return row === undefined ? null : toToken(fromSqlRow(row));
    },

    async touch(id, at, unlessSince) {
      await db.apiToken.updateMany({
        where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: unlessSince } }] },
        data: { lastUsedAt: at },
      });
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
