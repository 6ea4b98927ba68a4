/**
 * The probe sends the app's primary hostname as Host: frameworks that validate Host (Django's
 * ALLOWED_HOSTS, Rails' host authorization) answer 400 to a request for a bare address
 * (kamal#992). A real HTTP server on 127.0.0.1 that behaves like them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { probeOnce } from '../../src/engine/http-probe.js';

let server: http.Server;
let url: string;
const seenHosts: (string | undefined)[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    seenHosts.push(request.headers.host);
    response.statusCode = request.headers.host === 'shop.example.com' ? 200 : 400;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test('a probe with the app hostname passes a server that checks Host', async () => {
  expect(await probeOnce(url, 2000, 'shop.example.com')).toEqual({ ok: true, status: 200 });
  expect(seenHosts.at(-1)).toBe('shop.example.com');
});

test('control: the same probe without a hostname is rejected by that server', async () => {
  expect(await probeOnce(url, 2000)).toEqual({ ok: false, reason: 'HTTP 400' });
  expect(seenHosts.at(-1)).toMatch(/^127\.0\.0\.1:\d+$/);
});
