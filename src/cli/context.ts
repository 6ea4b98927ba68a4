import { createSlipwayClient, SlipwayApiError, type SlipwayClient } from '../client/index.js';
import { CliError } from './cli-error.js';
import { configPath, readConfigFile } from './config-file.js';
import { createOutput, type Output } from './output.js';

export interface Context {
  client: SlipwayClient;
  baseUrl: string;
  token: string;
  output: Output;
}

export interface GlobalOptions {
  json?: boolean;
  url?: string;
}

/** SLIPWAY_URL / SLIPWAY_TOKEN win over the file `slipway login` wrote. */
export async function loadContext(options: GlobalOptions): Promise<Context> {
  const file = await readConfigFile(configPath());
  const baseUrl = options.url ?? nonEmpty(process.env.SLIPWAY_URL) ?? file?.url;
  const token = nonEmpty(process.env.SLIPWAY_TOKEN) ?? file?.token;
  if (baseUrl === undefined || token === undefined) {
    throw new CliError(
      'no API configured: set SLIPWAY_URL and SLIPWAY_TOKEN, or run `slipway login`',
    );
  }
  return {
    client: createSlipwayClient({ baseUrl, token }),
    baseUrl,
    token,
    output: createOutput(options.json === true),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The data of an openapi-fetch result, or its problem+json error thrown as SlipwayApiError. */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const result = await request;
  if (!result.response.ok) throw SlipwayApiError.from(result.response.status, result.error);
  return result.data as T;
}
