/**
 * From the database to a real HAProxy: apps, their hostnames (given and default) and live
 * releases are read, turned into the config, and requests reach the live release by Host.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIngressStateReader } from '../../src/db/ingress-state-reader.js';
import { desiredIngressApps } from '../../src/ingress/desired-state.js';
import { SLOTS_PER_APP } from '../../src/ingress/slots.js';
import { FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import { startHaproxyFixture, type HaproxyFixture } from '../support/haproxy-fixture.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startUpstream, type Upstream } from '../support/upstream-server.js';

let t: TestServer;
let upstream: Upstream;
let haproxy: HaproxyFixture | null = null;

beforeAll(async () => {
  t = await startTestServer({ baseDomain: 'apps.test' });
  upstream = await startUpstream('live');
});

afterAll(async () => {
  await haproxy?.stop();
  await upstream.close();
  await t.close();
});

async function call(method: 'POST' | 'PUT', url: string, payload?: object): Promise<unknown> {
  const res = await t.server.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return JSON.parse(res.body);
}

/** A live release at `endpoint`, recorded as the worker would after a deployment. */
/** Without `endpoints`, a row as releases before replicas were stored (only `endpoint`). */
async function giveLiveRelease(app: string, endpoint: string, endpoints?: string[]): Promise<void> {
  const { id: applicationId } = z
    .object({ id: z.string() })
    .parse(await call('POST', '/v1/apps', { name: app }));
  const { id: deploymentId } = z
    .object({ id: z.string() })
    .parse(await call('POST', `/v1/apps/${app}/deployments`, { image: FIXTURE_IMAGES.webV1 }));
  await t.db.deployment.update({
    where: { id: deploymentId },
    data: { status: 'succeeded', startedAt: new Date(), finishedAt: new Date() },
  });
  await t.db.release.create({
    data: {
      applicationId,
      deploymentId,
      image: FIXTURE_IMAGES.webV1,
      imageId: `sha256:${'0'.repeat(64)}`,
      engine: 'docker',
      workloadRef: 'f'.repeat(64),
      endpoint,
      ...(endpoints === undefined ? {} : { endpoints }),
      webPort: 8080,
    },
  });
}

function get(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: haproxy?.port, headers: { host }, agent: false, timeout: 5000 },
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

describe('desired ingress state from the database', () => {
  it('routes given and default hostnames to the live release; an app without one answers 503', async () => {
    await giveLiveRelease('shop', upstream.endpoint);
    await call('PUT', '/v1/apps/shop/domains/shop.example.com');
    await call('POST', '/v1/apps', { name: 'blog' });
    await call('PUT', '/v1/apps/blog/domains/blog.example.com');

    const routed = await createIngressStateReader(t.db).routedApps();
    const apps = desiredIngressApps(routed, { baseDomain: 'apps.test', slotsPerApp: 2 });
    expect(apps.map((app) => [app.hostnames, app.live])).toEqual([
      [['blog.apps.test', 'blog.example.com'], []],
      [['shop.apps.test', 'shop.example.com'], [{ ip: '127.0.0.1', port: upstream.port }]],
    ]);

    haproxy = await startHaproxyFixture(apps);
    expect(await get('shop.example.com')).toEqual({ status: 200, body: 'live' });
    expect(await get('SHOP.apps.test:8080')).toEqual({ status: 200, body: 'live' });
    expect(await get('blog.example.com')).toMatchObject({ status: 503 });
    expect(await get('nobody.example.com')).toMatchObject({ status: 404 });
  });

  it('reads every replica endpoint of a live release from the database', async () => {
    const endpoints = ['http://127.0.0.1:2001', 'http://127.0.0.1:2002', 'http://127.0.0.1:2003'];
    await giveLiveRelease('trio', endpoints[0] ?? '', endpoints);
    const routed = await createIngressStateReader(t.db).routedApps();
    expect(routed.find((app) => app.name === 'trio')?.liveEndpoints).toEqual(endpoints);
    // A row from before replicas (only `endpoint`) routes its one endpoint.
    expect(routed.find((app) => app.name === 'shop')?.liveEndpoints).toEqual([upstream.endpoint]);
  });

  it('routes every replica of a release; backends get SLOTS_PER_APP slots by default', () => {
    const [app] = desiredIngressApps(
      [
        {
          id: 'a1',
          name: 'trio',
          hostnames: [],
          liveEndpoints: [
            'http://127.0.0.1:1001',
            'http://127.0.0.1:1002',
            'http://127.0.0.1:1003',
          ],
        },
      ],
      { baseDomain: 'apps.test' },
    );
    expect(app?.slots).toBe(SLOTS_PER_APP);
    expect(SLOTS_PER_APP).toBe(40);
    expect(app?.live).toEqual([
      { ip: '127.0.0.1', port: 1001 },
      { ip: '127.0.0.1', port: 1002 },
      { ip: '127.0.0.1', port: 1003 },
    ]);
  });

  it("a hostname given to one app is not another app's default, and a missing workload routes nowhere", () => {
    const apps = desiredIngressApps(
      [
        { id: 'a1', name: 'docs', hostnames: ['wiki.apps.test'], liveEndpoints: [] },
        { id: 'a2', name: 'wiki', hostnames: [], liveEndpoints: [] },
      ],
      { baseDomain: 'apps.test', slotsPerApp: 2 },
    );
    expect(apps.map((app) => app.hostnames)).toEqual([['docs.apps.test', 'wiki.apps.test'], []]);
  });
});
