/**
 * The typed Slipway client (`slipway/client`): request and response types are generated from
 * openapi/openapi.json (src/client/generated/schema.ts, `npm run client:generate`), calls go
 * through openapi-fetch, and followDeploymentLog follows a deployment's live log.
 */
import createClient from 'openapi-fetch';
import type { components, operations, paths } from './generated/schema.js';

export type { components, operations, paths };
export type Schemas = components['schemas'];
export type Deployment = Schemas['Deployment'];
export type DeploymentStep = Schemas['DeploymentStep'];
export type Problem = Schemas['Problem'];

export interface ClientOptions {
  /** Where the API is, e.g. http://localhost:3000 (no trailing /v1). */
  baseUrl: string;
  /** An admin or deploy token; sent as `Authorization: Bearer`. */
  token?: string;
  fetch?: typeof globalThis.fetch;
}

export function createSlipwayClient(options: ClientOptions) {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
}

export type SlipwayClient = ReturnType<typeof createSlipwayClient>;

export { SlipwayApiError } from './api-error.js';
export { followDeploymentLog, type FollowOptions } from './follow-log.js';
export type { LogStreamEnd, LogStreamEvent } from './log-stream-events.js';
