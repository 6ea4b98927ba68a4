import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError } from './cli-error.js';

const configSchema = z.object({ url: z.url(), token: z.string().min(1) });
export type CliConfig = z.infer<typeof configSchema>;

/** $SLIPWAY_CONFIG, else $XDG_CONFIG_HOME/slipway/config.json, else ~/.config/slipway/... */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLIPWAY_CONFIG !== undefined && env.SLIPWAY_CONFIG !== '') return env.SLIPWAY_CONFIG;
  const base = env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  return join(base, 'slipway', 'config.json');
}

export async function readConfigFile(path: string): Promise<CliConfig | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not JSON: run \`slipway login\` again`);
  }
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) throw new CliError(`${path} is not a Slipway config: run \`slipway login\``);
  return parsed.data;
}

/** The token is a credential: the file is readable by its owner only (0600, directory 0700). */
export async function writeConfigFile(path: string, config: CliConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // writeFile keeps the mode of a file that already existed.
  await chmod(path, 0o600);
}
