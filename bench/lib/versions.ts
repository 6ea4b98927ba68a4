import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { repoRoot, runCommand, type BenchEnvironment } from './environment.js';

const packages = [
  'fastify',
  '@prisma/client',
  '@prisma/adapter-pg',
  'pg',
  'bullmq',
  'ioredis',
  'dockerode',
  'autocannon',
  'typescript',
] as const;

function packageVersion(name: string): string {
  try {
    const manifest: unknown = JSON.parse(
      readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8'),
    );
    if (typeof manifest === 'object' && manifest !== null && 'version' in manifest) {
      return String(manifest.version);
    }
  } catch {
    // Reported as unknown below.
  }
  return 'unknown';
}

async function orUnknown(read: () => Promise<string>): Promise<string> {
  try {
    return (await read()).trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine() {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

/** Versions of everything the numbers depend on, for the JSON file. */
export async function collectVersions(env: BenchEnvironment): Promise<Record<string, string>> {
  const versions: Record<string, string> = { node: process.version };
  for (const name of packages) versions[name] = packageVersion(name);
  versions.dockerEngine = await orUnknown(() =>
    runCommand('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 }),
  );
  versions.postgresql = await orUnknown(async () => {
    const result = await env.db.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  });
  versions.redis = await orUnknown(async () => {
    const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const info = await redis.info('server');
      return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    } finally {
      redis.disconnect();
    }
  });
  versions.slipwayCommit = await orUnknown(() =>
    runCommand('git', ['rev-parse', '--short', 'HEAD'], { timeoutMs: 10_000 }),
  );
  // Other work in progress in the tree is part of what was measured, so say so.
  versions.slipwayTree = await orUnknown(async () =>
    (
      await runCommand('git', ['status', '--porcelain', '--untracked-files=no', 'src'], {
        timeoutMs: 10_000,
      })
    ).trim() === ''
      ? 'clean'
      : 'uncommitted changes in src/',
  );
  return versions;
}
