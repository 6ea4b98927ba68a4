import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * One-shot helper for Docker Compose: creates the bootstrap admin token and the secret key in a
 * volume the first time, and never replaces them (replacing the key would orphan every stored
 * secret). The API and worker read them through SLIPWAY_ADMIN_TOKEN_FILE / SLIPWAY_SECRET_KEY_FILE.
 */
const directory = process.argv[2] ?? '/run/slipway';
/** The unprivileged user the API runs as in the image (node:24-slim's "node"). */
const ownerUid = 1000;
const ownerGid = 1000;

const secrets = [
  { file: 'admin-token', make: () => `slw_admin_${randomBytes(32).toString('base64url')}` },
  { file: 'secret-key', make: () => randomBytes(32).toString('hex') },
];

await mkdir(directory, { recursive: true });
for (const { file, make } of secrets) {
  const path = join(directory, file);
  if (existsSync(path)) {
    process.stdout.write(`${path} exists; kept\n`);
    continue;
  }
  await writeFile(path, `${make()}\n`, { mode: 0o600, flag: 'wx' });
  await chown(path, ownerUid, ownerGid);
  await chmod(path, 0o400);
  process.stdout.write(`${path} created\n`);
}
process.stdout.write(
  `The admin token: docker compose exec -T api cat ${join(directory, 'admin-token')}\n`,
);
