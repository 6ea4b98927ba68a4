/**
 * Converging a real HAProxy's live state (map entries, ready slots) to the desired state after
 * it drifted, as the reconciler will on worker start and on every pass.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIngressConverger } from '../../src/ingress/converge.js';
import type { IngressApp } from '../../src/ingress/haproxy-config.js';
import { createHaproxyRouter } from '../../src/ingress/haproxy-router.js';
import { startHaproxyFixture, type HaproxyFixture } from '../support/haproxy-fixture.js';
import { startUpstream, type Upstream } from '../support/upstream-server.js';

let haproxy: HaproxyFixture;
let a: Upstream;
let b: Upstream;
let apps: IngressApp[];

function get(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: haproxy.port, headers: { host }, agent: false, timeout: 5000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body });
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
  apps = [
    { key: 'shop', hostnames: ['shop.test'], slots: 2, live: [{ ip: '127.0.0.1', port: a.port }] },
    { key: 'blog', hostnames: ['blog.test'], slots: 2, live: [] },
  ];
  haproxy = await startHaproxyFixture(apps);
});

afterAll(async () => {
  await haproxy.stop();
  await a.close();
  await b.close();
});

it('repairs drifted map entries and slots, then has nothing left to do', async () => {
  const { api } = haproxy.process;
  const router = createHaproxyRouter({ api });
  const converger = createIngressConverger({ api, router, mapFile: haproxy.mapFile });
  expect(await converger.converge(apps)).toEqual({
    mapChanges: 0,
    slotChanges: 0,
    needsReload: false,
  });

  // Drift: shop's host gone and its slot off, a stray host, blog serving something it should not.
  await api.deleteMapEntry(haproxy.mapFile, 'shop.test');
  await api.setMapEntry(haproxy.mapFile, 'stray.test', 'app_blog');
  await api.setServerState('app_shop', 's1', 'maint');
  await router.route('blog', [b.endpoint]);
  expect(await get('shop.test')).toMatchObject({ status: 404 });
  expect(await get('stray.test')).toMatchObject({ status: 200, body: 'b' });

  expect(await converger.converge(apps)).toEqual({
    mapChanges: 2,
    slotChanges: 2,
    needsReload: false,
  });
  expect(await get('shop.test')).toEqual({ status: 200, body: 'a' });
  expect(await get('stray.test')).toMatchObject({ status: 404 });
  expect(await get('blog.test')).toMatchObject({ status: 503 });
  expect(await converger.converge(apps)).toEqual({
    mapChanges: 0,
    slotChanges: 0,
    needsReload: false,
  });
});

it('says when the set of apps needs a reload, and routes the hosts it can meanwhile', async () => {
  const { api } = haproxy.process;
  const converger = createIngressConverger({
    api,
    router: createHaproxyRouter({ api }),
    mapFile: haproxy.mapFile,
  });
  const wiki: IngressApp = { key: 'wiki', hostnames: ['wiki.test'], slots: 2, live: [] };
  expect(await converger.converge([...apps, wiki])).toMatchObject({
    needsReload: true,
    mapChanges: 0,
  });
  expect(await converger.converge(apps.slice(0, 1))).toMatchObject({
    needsReload: true,
    mapChanges: 1,
  });
  expect(await get('blog.test')).toMatchObject({ status: 404 });
  await haproxy.reload([...apps, wiki]);
  expect(await converger.converge([...apps, wiki])).toMatchObject({ needsReload: false });
  expect(await get('blog.test')).toMatchObject({ status: 503 });
  expect(await get('wiki.test')).toMatchObject({ status: 503 });
});
