import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { loadApiConfig } from '../../src/config/api-config.js';
import { ConfigError } from '../../src/config/config.js';

const run = promisify(execFile);
const directories: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-secrets-'));
  directories.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(directories.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const base = {
  DATABASE_URL: 'postgresql://u@h/db',
  REDIS_URL: 'redis://h:6379',
};

describe('secrets from files (NAME_FILE)', () => {
  test('are read when the variable itself is unset or empty', async () => {
    const dir = await tempDir();
    const token = `slw_admin_${'a'.repeat(40)}`;
    const key = 'ab'.repeat(32);
    await writeFile(join(dir, 'token'), `${token}\n`);
    await writeFile(join(dir, 'key'), `${key}\n`);
    const config = loadApiConfig({
      ...base,
      SLIPWAY_ADMIN_TOKEN: '',
      SLIPWAY_ADMIN_TOKEN_FILE: join(dir, 'token'),
      SLIPWAY_SECRET_KEY_FILE: join(dir, 'key'),
    });
    expect(config.SLIPWAY_ADMIN_TOKEN).toBe(token);
    expect(Buffer.from(config.SLIPWAY_SECRET_KEY).toString('hex')).toBe(key);
  });

  test('an explicit value wins over the file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'token'), `slw_admin_${'f'.repeat(40)}\n`);
    const explicit = `explicit-${'e'.repeat(40)}`;
    const config = loadApiConfig({
      ...base,
      SLIPWAY_ADMIN_TOKEN: explicit,
      SLIPWAY_ADMIN_TOKEN_FILE: join(dir, 'token'),
      SLIPWAY_SECRET_KEY: 'cd'.repeat(32),
    });
    expect(config.SLIPWAY_ADMIN_TOKEN).toBe(explicit);
  });

  test('an unreadable file is a readable configuration error', () => {
    expect(() =>
      loadApiConfig({
        ...base,
        SLIPWAY_ADMIN_TOKEN_FILE: '/nonexistent/slipway/token',
        SLIPWAY_SECRET_KEY: 'cd'.repeat(32),
      }),
    ).toThrow(ConfigError);
  });

  test('init-secrets creates both once, readable only by their owner, and never replaces them', async () => {
    const dir = await tempDir();
    const script = join(import.meta.dirname, '../../src/main/init-secrets.ts');
    const tsx = join(import.meta.dirname, '../../node_modules/.bin/tsx');
    await run(tsx, [script, dir], { timeout: 30_000 });
    const token = await readFile(join(dir, 'admin-token'), 'utf8');
    const key = await readFile(join(dir, 'secret-key'), 'utf8');
    expect((await stat(join(dir, 'secret-key'))).mode & 0o777).toBe(0o400);

    await run(tsx, [script, dir], { timeout: 30_000 });
    expect(await readFile(join(dir, 'admin-token'), 'utf8')).toBe(token);
    expect(await readFile(join(dir, 'secret-key'), 'utf8')).toBe(key);

    const config = loadApiConfig({
      ...base,
      SLIPWAY_ADMIN_TOKEN_FILE: join(dir, 'admin-token'),
      SLIPWAY_SECRET_KEY_FILE: join(dir, 'secret-key'),
    });
    expect(config.SLIPWAY_ADMIN_TOKEN).toBe(token.trim());
  });
});
