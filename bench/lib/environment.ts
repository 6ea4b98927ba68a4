import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { removeContainersWithLabel } from '../../test/support/docker-fixtures.js';
import {
  databaseUrl,
  prepareTemplateDatabase,
  withClient,
} from '../../test/support/template-database.js';
import type { ChildHandle } from './processes.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
/** Slipway compiled for the benchmark, beside (not in) dist/, which other work may be using. */
export const benchDistDir = join(repoRoot, 'node_modules/.cache/slipway-bench/dist');
/** Label on every container the benchmark starts itself (the floor scripts). */
export const benchLabel = 'io.slipway.bench';
const instanceLabel = 'io.slipway.instance';

export const registry = '127.0.0.1:5000';
export const benchImages = {
  /** Small web server that records when it began listening; in the registry and present locally. */
  small: `${registry}/slipway-bench/web-ready-stamp:latest`,
  /** ~50 MB of random data, only in the registry (scripts/build-test-images.sh). */
  large: `${registry}/slipway-test/bench-large:v1`,
} as const;
const smallLocalImage = 'slipway-test/web-ready-stamp:latest';

/** Redis databases the benchmark may claim; database 0 is the one tests and people use. */
const redisDatabases = [15, 14, 13, 12, 11, 10, 9, 8];
const redisOwnerKey = 'slipway-bench:owner';

export interface BenchEnvironment {
  runId: string;
  /** SLIPWAY_INSTANCE of the processes under test: their containers carry it as a label. */
  instance: string;
  adminDatabaseUrl: string;
  databaseUrl: string;
  /** A Redis database of the run's own, so the default BullMQ prefix is safe. */
  redisUrl: string;
  adminToken: string;
  secretKey: string;
  /** Process logs of this run. */
  workDir: string;
  /** The benchmark's own connections to the run's database, to read timestamps and statuses. */
  db: pg.Pool;
  /** Child processes to stop at clean-up if a benchmark did not. */
  track: (child: ChildHandle) => ChildHandle;
  cleanUp: () => Promise<string[]>;
}

export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      {
        cwd: repoRoot,
        timeout: options.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: options.env ?? process.env,
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolvePromise(stdout);
          return;
        }
        const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n');
        reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${output}`));
      },
    );
  });
}

export async function createBenchEnvironment(
  progress: (text: string) => void,
): Promise<BenchEnvironment> {
  const runId = randomBytes(4).toString('hex');
  const instance = `bench-${runId}`;
  const workDir = join(tmpdir(), `slipway-bench-${runId}`);
  mkdirSync(workDir, { recursive: true });
  const children: ChildHandle[] = [];
  const undo: { what: string; run: () => Promise<void> }[] = [];

  const cleanUp = async (): Promise<string[]> => {
    const problems: string[] = [];
    const attempt = async (what: string, run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    await Promise.all(
      children.map((child) => attempt(`stopping ${child.name}`, () => child.stop(5000))),
    );
    // Containers go by label whatever state the run ended in, before the database they belong to.
    await attempt('removing Slipway containers', () =>
      removeContainersWithLabel(instanceLabel, instance),
    );
    await attempt('removing floor containers', () => removeContainersWithLabel(benchLabel, runId));
    for (const step of undo.reverse()) await attempt(step.what, step.run);
    undo.length = 0;
    return problems;
  };

  try {
    progress('ensuring the Docker engine, the local registry and the fixture images');
    await runCommand('bash', ['scripts/ensure-docker.sh'], {
      timeoutMs: 15 * 60_000,
      env: { ...process.env, BUILD_BENCH_IMAGES: '1' },
    });
    await runCommand('docker', ['tag', smallLocalImage, benchImages.small], { timeoutMs: 60_000 });
    await runCommand('docker', ['push', benchImages.small], { timeoutMs: 120_000 });

    progress('compiling Slipway (tsc, into node_modules/.cache/slipway-bench)');
    await runCommand(
      process.execPath,
      [
        join(repoRoot, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        benchDistDir,
      ],
      { timeoutMs: 5 * 60_000 },
    );

    const adminDatabaseUrl =
      process.env.BENCH_DATABASE_URL ??
      process.env.DATABASE_URL ??
      'postgresql://postgres@127.0.0.1:5432/postgres';
    progress('creating the run database from the migrated template');
    const template = await prepareTemplateDatabase(adminDatabaseUrl);
    const databaseName = `slipway_bench_${runId}`;
    await createDatabaseFromTemplate(adminDatabaseUrl, databaseName, template);
    undo.push({
      what: `dropping database ${databaseName}`,
      run: () =>
        withClient(adminDatabaseUrl, async (client) => {
          await client.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
        }),
    });
    const runDatabaseUrl = databaseUrl(adminDatabaseUrl, databaseName);
    const db = new pg.Pool({ connectionString: runDatabaseUrl, max: 4 });
    undo.push({ what: 'closing database pool', run: () => db.end() });

    const baseRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redisUrl = await claimRedisDatabase(baseRedisUrl, runId);
    undo.push({ what: 'releasing the Redis database', run: () => releaseRedisDatabase(redisUrl) });
    progress(`run ${runId}: database ${databaseName}, Redis ${redisUrl}, instance ${instance}`);

    return {
      runId,
      instance,
      adminDatabaseUrl,
      databaseUrl: runDatabaseUrl,
      redisUrl,
      adminToken: `bench-admin-${randomBytes(24).toString('base64url')}`,
      secretKey: randomBytes(32).toString('hex'),
      workDir,
      db,
      track: (child) => {
        children.push(child);
        return child;
      },
      cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function createDatabaseFromTemplate(adminUrl: string, name: string, template: string) {
  await withClient(adminUrl, async (client) => {
    // Another clone of the same template at the same instant makes PostgreSQL refuse; retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (error) {
        const busy = error instanceof Error && /being accessed by other users/.test(error.message);
        if (!busy || attempt >= 20) throw error;
        await new Promise((resolvePromise) => setTimeout(resolvePromise, 100 * attempt));
      }
    }
  });
}

function redisUrlWithDatabase(baseUrl: string, database: number): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * The worker and the API use BullMQ's default key prefix, which is not configurable; a Redis
 * database of the run's own keeps that from meeting anybody else's queue. A database is claimed
 * when it held nothing and our owner key could be set.
 */
async function claimRedisDatabase(baseUrl: string, runId: string): Promise<string> {
  for (const database of redisDatabases) {
    const url = redisUrlWithDatabase(baseUrl, database);
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const claimed = await redis.set(redisOwnerKey, runId, 'EX', 12 * 3600, 'NX');
      if (claimed === 'OK') {
        if ((await redis.dbsize()) === 1) return url;
        await redis.del(redisOwnerKey);
      }
    } finally {
      redis.disconnect();
    }
  }
  throw new Error(
    `no free Redis database among ${redisDatabases.join(', ')} at ${baseUrl}: each holds keys (left by killed benchmark runs?)`,
  );
}

/** Deletes every key of the run's own database (by SCAN, never FLUSHALL: Redis is shared). */
async function releaseRedisDatabase(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let batch = 0; batch < 100_000; batch++) {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}
