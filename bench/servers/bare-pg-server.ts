/**
 * The API benchmark's baselines, started by bench/api-throughput.ts:
 * - GET /apps/:id: one primary-key query through pg, no validation, auth, audit or ORM (the
 *   floor of any route that touches the database);
 * - GET /same-work/apps/:app/settings and POST /same-work/apps/:app/deployments: plain pg doing
 *   the SQL a settings read and a trigger need, one statement per piece of data, the way a
 *   straightforward hand-written server would (token by hash with its apps, app by name with its
 *   settings, release commands; for a trigger also the environment variables, the deployment row
 *   and the BullMQ job). No zod, no Prisma, no audit entry, no idempotency, no webhook events.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const port = Number(process.env.PORT);
if (databaseUrl === undefined || redisUrl === undefined || !Number.isInteger(port)) {
  throw new Error('set DATABASE_URL, REDIS_URL and PORT');
}

// Same pool size as Slipway's (@prisma/adapter-pg leaves pg's default of 10).
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
/** Its own prefix: these jobs never reach Slipway's workers; the benchmark removes them. */
const bareQueuePrefix = 'slipway-bench-same-work';
const queue = new Queue('deployments', { connection: redis, prefix: bareQueuePrefix });
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/apps/:id', async (request, reply) => {
  const result = await pool.query(
    'SELECT id, name, description, created_at, updated_at FROM applications WHERE id = $1',
    [request.params.id],
  );
  const row: unknown = result.rows[0];
  if (row === undefined) return reply.code(404).send({ error: 'not found' });
  return row;
});

interface AppRow {
  id: string;
  name: string;
  web_port: number;
  probe_startup_timeout_seconds: number;
  probe_timeout_seconds: number;
  probe_max_retries: number;
  probe_interval_ms: number;
  probe_path: string;
  resource_memory_mib: number;
  resource_cpus: number;
  resource_pids: number;
}

/** Token (by hash, with its apps) and app (by name, with its settings) of a request, or null. */
async function authorizedApp(
  request: FastifyRequest<{ Params: { app: string } }>,
  reply: FastifyReply,
): Promise<AppRow | null> {
  const header = request.headers.authorization ?? '';
  const hash = createHash('sha256').update(header.slice('Bearer '.length)).digest('hex');
  const token = await pool.query<{ id: string; scope: string; app_ids: string[] }>(
    `SELECT t.id, t.scope, array_remove(array_agg(ta.application_id::text), NULL) AS app_ids
     FROM api_tokens t LEFT JOIN api_token_apps ta ON ta.token_id = t.id
     WHERE t.secret_hash = $1 GROUP BY t.id`,
    [hash],
  );
  const principal = token.rows[0];
  if (principal === undefined) {
    await reply.code(401).send({ error: 'unauthenticated' });
    return null;
  }
  const found = await pool.query<AppRow>('SELECT * FROM applications WHERE name = $1', [
    request.params.app,
  ]);
  const row = found.rows[0];
  if (row === undefined || (principal.scope !== 'admin' && !principal.app_ids.includes(row.id))) {
    await reply.code(row === undefined ? 404 : 403).send({ error: 'not found or forbidden' });
    return null;
  }
  return row;
}

function settingsOf(row: AppRow, releaseCommands: unknown[]) {
  return {
    webContainer: { port: row.web_port },
    startupProbe: {
      startupTimeoutSeconds: row.probe_startup_timeout_seconds,
      probeTimeoutSeconds: row.probe_timeout_seconds,
      maxRetries: row.probe_max_retries,
      intervalMs: row.probe_interval_ms,
      path: row.probe_path,
    },
    resources: {
      memoryMiB: row.resource_memory_mib,
      cpus: row.resource_cpus,
      pids: row.resource_pids,
    },
    releaseCommands,
  };
}

async function releaseCommandsOf(applicationId: string): Promise<unknown[]> {
  const result = await pool.query<Record<string, unknown>>(
    `SELECT id, label, command, timeout_seconds AS "timeoutSeconds", position
     FROM release_commands WHERE application_id = $1 ORDER BY position, created_at`,
    [applicationId],
  );
  return result.rows;
}

app.get<{ Params: { app: string } }>('/same-work/apps/:app/settings', async (request, reply) => {
  const row = await authorizedApp(request, reply);
  if (row === null) return reply;
  return settingsOf(row, await releaseCommandsOf(row.id));
});

app.post<{ Params: { app: string }; Body: { image: string } }>(
  '/same-work/apps/:app/deployments',
  async (request, reply) => {
    const row = await authorizedApp(request, reply);
    if (row === null) return reply;
    const commands = await releaseCommandsOf(row.id);
    const env = await pool.query(
      'SELECT name, secret, value, sealed_value FROM env_vars WHERE application_id = $1 ORDER BY name',
      [row.id],
    );
    const inserted = await pool.query<{ id: string; created_at: Date }>(
      `INSERT INTO deployments (id, application_id, image, settings, env_snapshot)
       VALUES (gen_random_uuid(), $1, $2, $3, $4) RETURNING id, status, created_at`,
      [
        row.id,
        request.body.image,
        JSON.stringify(settingsOf(row, commands)),
        JSON.stringify(env.rows),
      ],
    );
    const deployment = inserted.rows[0];
    if (deployment === undefined) throw new Error('insert returned nothing');
    await queue.add(
      'deploy',
      { deploymentId: deployment.id },
      {
        jobId: deployment.id,
        attempts: 1,
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
      },
    );
    return reply.code(202).send(deployment);
  },
);

const close = () => {
  void app
    .close()
    .then(() => Promise.all([pool.end(), queue.close()]))
    .then(() => {
      redis.disconnect();
    });
};
process.once('SIGTERM', close);
process.once('SIGINT', close);

await app.listen({ host: '127.0.0.1', port });
