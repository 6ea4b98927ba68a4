import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import Fastify from 'fastify';
import { operationIds } from '../../src/http/operation-ids.js';
import openapi from '../../src/http/plugins/openapi.js';
import { renderOpenApiDocument } from '../../src/main/openapi-document.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { parseBody } from './helpers.js';

const committedPath = join(import.meta.dirname, '../../openapi/openapi.json');

const operationSchema = z
  .object({
    tags: z.array(z.string()).optional(),
    summary: z.string().optional(),
    responses: z.record(z.string(), z.unknown()),
  })
  .loose();

const documentSchema = z
  .object({
    openapi: z.string(),
    info: z.object({ title: z.string(), version: z.string() }).loose(),
    paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  })
  .loose();

type OpenApiDocument = z.infer<typeof documentSchema>;

let t: TestServer;
let rendered: string;
let doc: OpenApiDocument;

beforeAll(async () => {
  t = await startTestServer();
  rendered = await renderOpenApiDocument();
  doc = documentSchema.parse(JSON.parse(rendered));
});

afterAll(async () => {
  await t.close();
});

test('the committed openapi/openapi.json is up to date', async () => {
  const committed = await readFile(committedPath, 'utf8').catch(() => '');
  expect(
    rendered === committed,
    'openapi/openapi.json is out of date with the routes: run `npm run openapi` and commit the result',
  ).toBe(true);
});

test('the document is OpenAPI 3.1.x', () => {
  expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  expect(doc.info.title).toBe('Slipway');
});

test('GET /openapi.json serves the same document', async () => {
  const res = await t.server.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(parseBody(res, z.unknown())).toEqual(JSON.parse(rendered));
});

describe('every foundation operation is documented', () => {
  const operations: [string, string, number[]][] = [
    ['post', '/v1/apps', [201, 400, 409, 413, 415]],
    ['get', '/v1/apps', [200, 400]],
    ['get', '/v1/apps/{app}', [200, 404]],
    ['patch', '/v1/apps/{app}', [200, 400, 404, 409]],
    ['delete', '/v1/apps/{app}', [204, 404]],
    ['get', '/v1/apps/{app}/settings', [200, 404]],
    ['patch', '/v1/apps/{app}/settings/web-container', [200, 400, 404]],
    ['patch', '/v1/apps/{app}/settings/startup-probe', [200, 400, 404, 422]],
    ['patch', '/v1/apps/{app}/settings/resources', [200, 400, 404]],
    ['get', '/v1/apps/{app}/release-commands', [200, 404]],
    ['post', '/v1/apps/{app}/release-commands', [201, 400, 404, 422]],
    ['get', '/v1/apps/{app}/release-commands/{id}', [200, 400, 404]],
    ['patch', '/v1/apps/{app}/release-commands/{id}', [200, 400, 404]],
    ['delete', '/v1/apps/{app}/release-commands/{id}', [204, 404]],
    ['put', '/v1/apps/{app}/release-commands/order', [200, 400, 404, 422]],
    ['get', '/healthz', [200]],
    ['get', '/readyz', [200, 503]],
  ];

  test.each(operations)('%s %s with its responses', (method, path, statuses) => {
    const operation = operationSchema.parse(doc.paths[path]?.[method]);
    expect(operation.summary).toEqual(expect.any(String));
    expect(operation.tags?.length).toBeGreaterThan(0);
    for (const status of statuses)
      expect(Object.keys(operation.responses)).toContain(String(status));
  });

  test('the served /openapi.json route itself is hidden from the document', () => {
    expect(doc.paths['/openapi.json']).toBeUndefined();
  });
});

test('GET /docs serves the Swagger UI HTML', async () => {
  let url = '/docs';
  // Follow at most a few redirects (the UI may redirect /docs to /docs/).
  for (let hop = 0; hop < 5; hop++) {
    const res = await t.server.inject({ method: 'GET', url });
    if (res.statusCode >= 300 && res.statusCode < 400) {
      const location = res.headers.location;
      expect(location).toEqual(expect.any(String));
      url = new URL(String(location), 'http://localhost').pathname;
      continue;
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/swagger-ui/i);
    return;
  }
  throw new Error('/docs redirected too many times');
});

describe('fit for client generators', () => {
  const namedOperationSchema = z.object({ operationId: z.string() }).loose();
  const componentsSchema = z
    .object({ components: z.object({ schemas: z.record(z.string(), z.unknown()) }) })
    .loose();

  test('every operation has a unique camelCase operationId from src/http/operation-ids.ts', () => {
    const ids = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).map((operation) => namedOperationSchema.parse(operation).operationId),
    );
    expect(ids.length).toBe(Object.keys(operationIds).length);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z]+$/);
  });

  test('no component schema is left unused', () => {
    const { components } = componentsSchema.parse(doc);
    const referenced = Object.keys(components.schemas).filter((name) =>
      rendered.includes(`"#/components/schemas/${name}"`),
    );
    expect(referenced).toEqual(Object.keys(components.schemas));
    // Negative control: the check does see a reference where there is one.
    expect(referenced).toContain('Problem');
  });

  test('a documented route without an operationId stops start-up', async () => {
    const server = Fastify();
    await server.register(openapi);
    expect(() =>
      server.get('/unnamed', { schema: { summary: 'nobody named me' } }, () => 'x'),
    ).toThrow(/has no operationId/);
    await server.close();
  });
});
