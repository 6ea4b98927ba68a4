/**
 * The API benchmark's baseline: a bare Fastify route doing one primary-key query through pg on the
 * same database, with no validation, auth, audit or ORM. Started by bench/api-throughput.ts.
 */
import Fastify from 'fastify';
import pg from 'pg';

const databaseUrl = process.env.DATABASE_URL;
const port = Number(process.env.PORT);
if (databaseUrl === undefined || !Number.isInteger(port)) {
  throw new Error('set DATABASE_URL and PORT');
}

// Same pool size as Slipway's (@prisma/adapter-pg leaves pg's default of 10).
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
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

const close = () => {
  void app.close().then(() => pool.end());
};
process.once('SIGTERM', close);
process.once('SIGINT', close);

await app.listen({ host: '127.0.0.1', port });
