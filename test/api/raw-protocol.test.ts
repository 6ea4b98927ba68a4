import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { problemBody } from './helpers.js';
import { rawRequest, type RawResponse } from '../support/raw-http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Requests as bytes on a socket to a really listening server: what Node's HTTP parser and a
 * client that does not normalise paths (curl --path-as-is) produce (issue 11, items 7 and 8).
 */

let t: TestServer;
let port = 0;

beforeAll(async () => {
  t = await startTestServer();
  await t.server.listen({ host: '127.0.0.1', port: 0 });
  port = (t.server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await t.close();
});

function get(path: string, extraHeaders = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extraHeaders}\r\n`;
}

function expectProblemResponse(res: RawResponse, status: number): void {
  expect(res.status, res.body.slice(0, 300)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  // The parser rejected the request before its URL was known, so there may be no `instance`.
  const problem = problemBody
    .extend({ instance: z.string().optional() })
    .parse(JSON.parse(res.body));
  expect(problem.status).toBe(status);
  expect(res.headers['x-request-id']).toMatch(/\S/);
  expect(problem.requestId).toBe(res.headers['x-request-id']);
}

describe('item 7: path traversal, sent as is', () => {
  test.each([
    '/docs/static/../../../../etc/passwd',
    '/docs/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/docs/static/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/docs/../../etc/passwd',
  ])('%s is a 404 problem', async (path) => {
    const res = await rawRequest(port, get(path));
    expectProblemResponse(res, 404);
    expect(res.body).not.toContain('root:');
  });

  test('control: a Swagger UI asset is served over the socket', async () => {
    const res = await rawRequest(port, get('/docs/static/swagger-ui.css'));
    expect(res.status).toBe(200);
  });
});

describe("item 8: Node's own parser errors are problem+json with a request id", () => {
  test('a header section over 16 KiB is a 431', async () => {
    const res = await rawRequest(port, get('/healthz', `X-Big: ${'a'.repeat(20_000)}\r\n`));
    expectProblemResponse(res, 431);
  });

  test('a path over 16 KiB is a 431', async () => {
    const res = await rawRequest(port, get(`/healthz?x=${'a'.repeat(20_000)}`));
    expectProblemResponse(res, 431);
  });

  test('2,000 headers are a 431', async () => {
    const many = Array.from({ length: 2000 }, (_, index) => `X-H${index}: v\r\n`).join('');
    const res = await rawRequest(port, get('/healthz', many));
    expectProblemResponse(res, 431);
  });

  test('a stray CR in a header value is a 400', async () => {
    const res = await rawRequest(port, get('/healthz', 'Authorization: Bearer abc\rdef\r\n'));
    expectProblemResponse(res, 400);
  });

  test('control: a well-formed request is answered normally', async () => {
    const res = await rawRequest(port, get('/healthz'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });
});
