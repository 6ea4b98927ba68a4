/**
 * The runtime-API client, the generated config and the process helper against a real HAProxy
 * on 127.0.0.1 (config in a temp dir, killed and removed after the file).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHaproxyRouter } from '../../src/ingress/haproxy-router.js';
import { notFoundBody, unavailableBody } from '../../src/ingress/haproxy-config.js';
import { createRuntimeApi } from '../../src/ingress/runtime-api.js';
import { startHaproxy } from '../../src/ingress/haproxy-process.js';
import { startHaproxyFixture, type HaproxyFixture } from '../support/haproxy-fixture.js';
import { startUpstream, type Upstream } from '../support/upstream-server.js';

const run = promisify(execFile);
let haproxy: HaproxyFixture;
let a: Upstream;
let b: Upstream;
const shop = { key: 'shop', hostnames: ['shop.test'], slots: 2, live: [] };

/**
 * node:http, as fetch() does not let a caller set the Host header; a fresh connection each time,
 * as a kept-alive one may still be served by the worker a reload replaced.
 */
function get(host: string): Promise<{ status: number; body: string; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: haproxy.port,
        path: '/',
        headers: { host },
        agent: false,
        timeout: 5000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, body, retryAfter: retryAfter ?? null });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  a = await startUpstream('a');
  b = await startUpstream('b');
  haproxy = await startHaproxyFixture([shop]);
});

afterAll(async () => {
  const pid = haproxy.process.pid;
  await haproxy.stop();
  await a.close();
  await b.close();
  // Nothing left behind: the master (and with it its worker) is gone.
  expect(() => process.kill(pid, 0)).toThrow();
});

describe('generated config on a real HAProxy', () => {
  it('passes haproxy -c', async () => {
    const { stdout } = await run('haproxy', ['-c', '-f', join(haproxy.dir, 'haproxy.cfg')]);
    expect(stdout).toContain('Configuration file is valid');
  });

  it('answers an unknown host with the plain 404 page', async () => {
    expect(await get('nobody.test')).toEqual({
      status: 404,
      body: `${notFoundBody}\n`,
      retryAfter: null,
    });
  });

  it('answers an app with no live release with a 503 and Retry-After', async () => {
    expect(await get('shop.test')).toEqual({
      status: 503,
      body: `${unavailableBody}\n`,
      retryAfter: '5',
    });
  });
});

describe('runtime API client', () => {
  const api = () => haproxy.process.api;

  it('sets, adds, shows and deletes map entries', async () => {
    expect(await api().showMap(haproxy.mapFile)).toEqual([{ key: 'shop.test', value: 'app_shop' }]);
    await api().setMapEntry(haproxy.mapFile, 'www.shop.test', 'app_shop');
    await api().setMapEntry(haproxy.mapFile, 'www.shop.test', 'app_shop');
    expect(await api().showMap(haproxy.mapFile)).toContainEqual({
      key: 'www.shop.test',
      value: 'app_shop',
    });
    expect(await api().deleteMapEntry(haproxy.mapFile, 'www.shop.test')).toBe(true);
    expect(await api().deleteMapEntry(haproxy.mapFile, 'www.shop.test')).toBe(false);
    expect(await api().showMap(haproxy.mapFile)).toEqual([{ key: 'shop.test', value: 'app_shop' }]);
  });

  it('says clearly what HAProxy refused', async () => {
    await expect(api().showMap('/no/such.map')).rejects.toMatchObject({
      code: 'INGRESS_COMMAND_FAILED',
      message:
        'HAProxy refused "show map /no/such.map": Unknown map identifier. Please use #<id> or <file>.',
    });
    await expect(api().setServerState('app_shop', 's9', 'ready')).rejects.toMatchObject({
      code: 'INGRESS_COMMAND_FAILED',
      message: 'HAProxy refused "set server app_shop/s9 state ready": No such server.',
    });
    await expect(api().showServersState('app_nope')).rejects.toMatchObject({
      code: 'INGRESS_COMMAND_FAILED',
    });
    await expect(
      api().setMapEntry(haproxy.mapFile, 'a\nshutdown sessions', 'x'),
    ).rejects.toMatchObject({
      code: 'INGRESS_INVALID_ARGUMENT',
    });
    await expect(
      api().setServerAddress('app_shop', 's1', { ip: '127.0.0.1', port: 70_000 }),
    ).rejects.toMatchObject({ code: 'INGRESS_INVALID_ARGUMENT' });
  });

  it('fails fast when the socket is missing, and times out on a socket that never answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-socket-'));
    const silent: Server = createServer(() => undefined);
    try {
      const missing = createRuntimeApi({ socketPath: join(dir, 'none.sock'), timeoutMs: 500 });
      await expect(missing.showInfo()).rejects.toMatchObject({ code: 'INGRESS_UNAVAILABLE' });
      silent.listen(join(dir, 'silent.sock'));
      await once(silent, 'listening');
      const mute = createRuntimeApi({ socketPath: join(dir, 'silent.sock'), timeoutMs: 200 });
      const started = Date.now();
      await expect(mute.showInfo()).rejects.toMatchObject({ code: 'INGRESS_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('router and reload', () => {
  it('routes to an endpoint, switches, drains and is idempotent', async () => {
    const router = createHaproxyRouter({ api: haproxy.process.api });
    expect(await router.route('shop', [a.endpoint])).toEqual({ added: 1, draining: 0 });
    expect(await get('shop.test')).toMatchObject({ status: 200, body: 'a' });
    expect(await router.route('shop', [a.endpoint])).toEqual({ added: 0, draining: 0 });
    expect(await router.route('shop', [b.endpoint])).toEqual({ added: 1, draining: 1 });
    expect(await get('shop.test')).toMatchObject({ status: 200, body: 'b' });
    const drained = await router.drain('shop', { timeoutMs: 1000 });
    expect(drained).toMatchObject({ inFlightAtStart: 0, inFlightAtEnd: 0 });
    const slots = await haproxy.process.api.showServersState('app_shop');
    expect(slots.map((s) => [s.admin, s.port])).toEqual([
      ['maint', a.port],
      ['ready', b.port],
    ]);
    // The freed slot is reused for the next switch (back to a).
    expect(await router.route('shop', [a.endpoint])).toEqual({ added: 1, draining: 1 });
    expect(await get('shop.test')).toMatchObject({ status: 200, body: 'a' });
    await router.drain('shop', { timeoutMs: 1000 });
  });

  it('refuses a switch when the backend has no free slot', async () => {
    const router = createHaproxyRouter({ api: haproxy.process.api });
    await expect(
      router.route('shop', [a.endpoint, b.endpoint, 'http://127.0.0.1:9']),
    ).rejects.toMatchObject({
      code: 'INGRESS_NO_FREE_SLOT',
    });
    await router.route('shop', [a.endpoint]);
    await router.drain('shop', { timeoutMs: 1000 });
  });

  it('reloads a new set of apps from the files, keeping the listener', async () => {
    const before = (await haproxy.process.api.showInfo()).pid;
    const blog = {
      key: 'blog',
      hostnames: ['blog.test'],
      slots: 2,
      live: [{ ip: '127.0.0.1', port: b.port }],
    };
    await haproxy.reload([{ ...shop, live: [{ ip: '127.0.0.1', port: a.port }] }, blog]);
    expect((await haproxy.process.api.showInfo()).pid).not.toBe(before);
    expect(await get('blog.test')).toMatchObject({ status: 200, body: 'b' });
    expect(await get('shop.test')).toMatchObject({ status: 200, body: 'a' });
    expect(await readFile(haproxy.mapFile, 'utf8')).toBe(
      'blog.test app_blog\nshop.test app_shop\n',
    );
  });

  it('keeps serving when a reload brings a broken config, and says why', async () => {
    const configFile = join(haproxy.dir, 'haproxy.cfg');
    const good = await readFile(configFile, 'utf8');
    await writeFile(configFile, `${good}\nbackend broken\n  server x not-an-address\n`);
    try {
      await expect(haproxy.process.reload()).rejects.toMatchObject({
        code: 'INGRESS_COMMAND_FAILED',
      });
      expect(await get('blog.test')).toMatchObject({ status: 200, body: 'b' });
    } finally {
      await writeFile(configFile, good);
    }
  });
});

describe('process helper', () => {
  it('fails fast and clearly when HAProxy is missing or its config is broken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-haproxy-bad-'));
    try {
      const configFile = join(dir, 'haproxy.cfg');
      await writeFile(configFile, 'global\n  bogus-directive\n');
      const adminSocket = join(dir, 'admin.sock');
      const started = Date.now();
      await expect(
        startHaproxy({ configFile, adminSocket, binary: join(dir, 'no-haproxy') }),
      ).rejects.toThrow(/HAProxy did not start: cannot run HAProxy: spawn .*ENOENT/);
      await expect(startHaproxy({ configFile, adminSocket })).rejects.toThrow(
        /HAProxy did not start: HAProxy exited \(1\)[\s\S]*bogus-directive/,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
