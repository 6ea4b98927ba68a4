import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { z } from 'zod';
import type { SlipwayServer } from '../../src/http/build-server.js';
import { parseBody } from '../support/json-body.js';

/**
 * Response shapes as the spec describes them, written independently of src/schemas so a drift in
 * the implementation's own schemas cannot make the tests agree with it. Objects are strict: a field
 * the spec does not list (e.g. settings leaking into GET /v1/apps/{app}) fails the parse.
 */
const isoDate = z.iso.datetime();

export const applicationBody = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .strict();
export type ApplicationBody = z.infer<typeof applicationBody>;

export const applicationPageBody = z
  .object({ items: z.array(applicationBody), nextCursor: z.string().nullable() })
  .strict();

export const releaseCommandBody = z
  .object({
    id: z.uuid(),
    label: z.string(),
    command: z.string(),
    timeoutSeconds: z.number().int(),
    position: z.number().int(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .strict();
export type ReleaseCommandBody = z.infer<typeof releaseCommandBody>;

export const releaseCommandListBody = z.object({ items: z.array(releaseCommandBody) }).strict();

export const webContainerBody = z
  .object({
    port: z.number().int().nullable(),
    replicas: z.number().int(),
    drainTimeoutSeconds: z.number().int(),
    stopTimeoutSeconds: z.number().int(),
    retainReleases: z.number().int(),
  })
  .strict();

/** The web container settings of a new app, as documented. */
export const webContainerDefaultsBody = {
  port: null,
  replicas: 1,
  drainTimeoutSeconds: 30,
  stopTimeoutSeconds: 10,
  retainReleases: 2,
};

export const startupProbeBody = z
  .object({
    startupTimeoutSeconds: z.number().int(),
    probeTimeoutSeconds: z.number().int(),
    maxRetries: z.number().int(),
    intervalMs: z.number().int(),
    path: z.string(),
  })
  .strict();
export type StartupProbeBody = z.infer<typeof startupProbeBody>;

export const resourcesBody = z
  .object({ memoryMiB: z.number().int(), cpus: z.number(), pids: z.number().int() })
  .strict();
export type ResourcesBody = z.infer<typeof resourcesBody>;

export const settingsBody = z
  .object({
    webContainer: webContainerBody,
    startupProbe: startupProbeBody,
    resources: resourcesBody,
    releaseCommands: z.array(releaseCommandBody),
  })
  .strict();
export type SettingsBody = z.infer<typeof settingsBody>;

export const problemBody = z
  .object({
    type: z.string().min(1),
    title: z.string().min(1),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().regex(/^[A-Z][A-Z_]*$/),
    instance: z.string(),
    requestId: z.string().min(1),
    errors: z
      .array(
        z
          .object({
            path: z.string(),
            message: z.string(),
            location: z.enum(['body', 'querystring', 'params', 'headers']).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();
export type ProblemBody = z.infer<typeof problemBody>;

export const defaultProbe: StartupProbeBody = {
  startupTimeoutSeconds: 60,
  probeTimeoutSeconds: 10,
  maxRetries: 300,
  intervalMs: 200,
  path: '/',
};

export { parseBody } from '../support/json-body.js';

/** Asserts a success status and the JSON body shape. */
export function expectJson<T>(
  res: LightMyRequestResponse,
  status: number,
  schema: z.ZodType<T>,
): T {
  expect(res.statusCode, res.body.slice(0, 1000)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return parseBody(res, schema);
}

/** Text that must never reach a client: stack frames, source paths, internals. */
const leakPatterns = [/\n\s+at\s/, /node_modules/, /\.ts:\d+/, /\bprisma\./i, /invocation/i];

export function expectNoLeak(body: string): void {
  for (const pattern of leakPatterns)
    expect(body, `body leaks ${String(pattern)}`).not.toMatch(pattern);
}

/**
 * Asserts an RFC 9457 problem: status, content type, the full shape, status field = HTTP status,
 * requestId = x-request-id header, and (when given) the stable code.
 */
export function expectProblem(
  res: LightMyRequestResponse,
  status: number,
  code?: string,
): ProblemBody {
  expect(res.statusCode, res.body.slice(0, 1000)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = parseBody(res, problemBody);
  expect(problem.status).toBe(status);
  if (code !== undefined) expect(problem.code).toBe(code);
  expect(problem.requestId).toBe(res.headers['x-request-id']);
  expectNoLeak(res.body);
  return problem;
}

/** Any client error rendered as problem+json: what every hostile request must get. */
export function expectClientProblem(res: LightMyRequestResponse): ProblemBody {
  expect(res.statusCode, res.body.slice(0, 1000)).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body.slice(0, 1000)).toBeLessThan(500);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = parseBody(res, problemBody);
  expect(problem.status).toBe(res.statusCode);
  expectNoLeak(res.body);
  return problem;
}

/** A JSON request with a raw (possibly invalid) body text. */
export function rawJson(
  server: SlipwayServer,
  method: 'POST' | 'PATCH' | 'PUT',
  url: string,
  body: string,
  contentType = 'application/json',
): Promise<LightMyRequestResponse> {
  return server.inject({ method, url, headers: { 'content-type': contentType }, payload: body });
}

export async function createApp(
  server: SlipwayServer,
  name: string,
  description?: string | null,
): Promise<ApplicationBody> {
  const res = await server.inject({
    method: 'POST',
    url: '/v1/apps',
    payload: description === undefined ? { name } : { name, description },
  });
  return expectJson(res, 201, applicationBody);
}

export async function addCommand(
  server: SlipwayServer,
  app: string,
  input: { label: string; command: string; timeoutSeconds?: number },
): Promise<ReleaseCommandBody> {
  const res = await server.inject({
    method: 'POST',
    url: `/v1/apps/${app}/release-commands`,
    payload: input,
  });
  return expectJson(res, 201, releaseCommandBody);
}

export async function listCommands(
  server: SlipwayServer,
  app: string,
): Promise<ReleaseCommandBody[]> {
  const res = await server.inject({ method: 'GET', url: `/v1/apps/${app}/release-commands` });
  return expectJson(res, 200, releaseCommandListBody).items;
}

export async function getSettings(server: SlipwayServer, app: string): Promise<SettingsBody> {
  const res = await server.inject({ method: 'GET', url: `/v1/apps/${app}/settings` });
  return expectJson(res, 200, settingsBody);
}

export async function listAllApps(server: SlipwayServer): Promise<ApplicationBody[]> {
  const items: ApplicationBody[] = [];
  let cursor: string | null = null;
  // Bounded: a cursor bug must fail the test, not hang it.
  for (let page = 0; page < 100; page++) {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const res = await server.inject({ method: 'GET', url: `/v1/apps?limit=100${query}` });
    const body = expectJson(res, 200, applicationPageBody);
    items.push(...body.items);
    cursor = body.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error('pagination did not end within 100 pages');
}

export function unique(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
