import type { Command } from 'commander';
import { createSlipwayClient, SlipwayApiError } from '../../client/index.js';
import { CliError } from '../cli-error.js';
import { configPath, writeConfigFile } from '../config-file.js';
import { call } from '../context.js';
import { createOutput } from '../output.js';
import { readSecret } from '../stdin.js';

export function loginCommand(program: Command): void {
  program
    .command('login <url>')
    .description('store the API address and a token (read from stdin) in a 0600 config file')
    .action(async (url: string) => {
      const output = createOutput(false);
      if (!URL.canParse(url)) throw new CliError(`${url} is not a URL`);
      const token = await readSecret('token (hidden): ');
      await checkToken(url, token);
      const path = configPath();
      await writeConfigFile(path, { url, token });
      output.err(`logged in to ${url}; wrote ${path}\n`);
    });
}

/** Any answer but 401 proves the token is known (a deploy token may not list tokens: 403). */
async function checkToken(baseUrl: string, token: string): Promise<void> {
  const client = createSlipwayClient({ baseUrl, token });
  try {
    await call(client.GET('/v1/tokens'));
  } catch (error) {
    if (error instanceof SlipwayApiError && error.status === 403) return;
    throw error;
  }
}
