/**
 * Replicas through a real HAProxy: a backend of SLOTS_PER_APP slots (the config still loads with
 * that many), a 3-replica release of real containers all answering through it, and a switch from
 * one 3-set to another under load that fails no request. The negative control stops the old set
 * right after the switch, without a drain, and must see failures.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resourceDefaults } from '../../src/domain/resource-limits.js';
import { labelKeys } from '../../src/docker/container-labels.js';
import { createDockerEngine } from '../../src/docker/docker-engine.js';
import { createHaproxyRouter } from '../../src/ingress/haproxy-router.js';
import { SLOTS_PER_APP } from '../../src/ingress/slots.js';
import {
  containersWithLabel,
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
  removeContainersWithLabel,
} from '../support/docker-fixtures.js';
import { startHaproxyFixture, type HaproxyFixture } from '../support/haproxy-fixture.js';
import { startLoad, waitFor, type RequestRecord } from '../support/load-generator.js';
import { startUpstream, type Upstream } from '../support/upstream-server.js';

const host = 'shop.test';
const instance = `replicas-${randomBytes(5).toString('hex')}`;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await ensureDockerFixtures();
}, ENSURE_DOCKER_TIMEOUT_MS);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  const left = await containersWithLabel(labelKeys.instance, instance);
  await removeContainersWithLabel(labelKeys.instance, instance);
  expect(left, 'containers left behind').toEqual([]);
});

async function haproxyWith(live: Upstream[]): Promise<HaproxyFixture> {
  const haproxy = await startHaproxyFixture([
    {
      key: 'shop',
      hostnames: [host],
      slots: SLOTS_PER_APP,
      live: live.map((upstream) => ({ ip: '127.0.0.1', port: upstream.port })),
    },
  ]);
  cleanups.push(async () => {
    await haproxy.stop();
    expect(() => process.kill(haproxy.process.pid, 0)).toThrow();
  });
  return haproxy;
}

async function upstreams(prefix: string, holdMs: number): Promise<Upstream[]> {
  const started: Upstream[] = [];
  for (let index = 1; index <= 3; index += 1) {
    const upstream = await startUpstream(`${prefix}${index}`, holdMs);
    cleanups.push(() => upstream.close());
    started.push(upstream);
  }
  return started;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5000 },
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

const failures = (records: RequestRecord[]) =>
  records.filter((r) => r.error !== null || r.status !== 200);
const countBy = (records: RequestRecord[], body: string) =>
  records.filter((r) => r.body === body).length;

describe('a set of replicas behind HAProxy', () => {
  it('routes to all three containers of a 3-replica release', async () => {
    const engine = createDockerEngine({ instance, network: undefined, authConfig: null });
    const image = await engine.images.resolve(FIXTURE_IMAGES.webV1, {
      onLog: () => undefined,
      credentials: null,
    });
    const candidate = await engine.web.start({
      owner: { app: 'shop', deploymentId: randomUUID() },
      imageId: image.id,
      env: {},
      port: 8080,
      resources: resourceDefaults,
      replicas: 3,
    });
    cleanups.push(() => engine.web.retire(candidate.ref, { stopTimeoutSeconds: 1 }));
    const ready = await engine.web.waitUntilReady(
      candidate,
      {
        path: '/',
        host,
        settings: {
          startupTimeoutSeconds: 20,
          probeTimeoutSeconds: 2,
          maxRetries: 1000,
          intervalMs: 100,
          path: '/',
        },
      },
      { log: () => undefined, signal: new AbortController().signal },
    );
    expect(ready.outcome).toBe('ready');
    const haproxy = await haproxyWith([]);
    const router = createHaproxyRouter({ api: haproxy.process.api });
    expect(await router.route('shop', candidate.endpoints)).toEqual({ added: 3, draining: 0 });

    // Round robin over three servers: 30 requests reach each container about 10 times.
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i += 1) {
      const res = await get(haproxy.port, '/cgi-bin/env');
      expect(res.status).toBe(200);
      const hostname = /^HOSTNAME=(.*)$/m.exec(res.body)?.[1] ?? 'none';
      seen.set(hostname, (seen.get(hostname) ?? 0) + 1);
    }
    const ids = (await containersWithLabel(labelKeys.instance, instance)).map((id) =>
      id.slice(0, 12),
    );
    expect([...seen.keys()].sort()).toEqual(ids.sort());
    for (const count of seen.values()) expect(count).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('switches a 3-set to another 3-set under load without a failed request', async () => {
    const a = await upstreams('a', 300);
    const b = await upstreams('b', 0);
    const haproxy = await haproxyWith(a);
    const router = createHaproxyRouter({ api: haproxy.process.api });
    const run = startLoad({
      port: haproxy.port,
      host,
      requests: 2000,
      concurrency: 16,
      keepAlive: true,
    });
    await waitFor(
      'requests in flight on every old replica',
      () => a.every((upstream) => upstream.inFlight() >= 1) && run.completed() >= 20,
    );
    const switched = await router.route(
      'shop',
      b.map((upstream) => upstream.endpoint),
    );
    const switchReturnedAt = performance.now();
    const drained = await router.drain('shop', { timeoutMs: 5000 });
    for (const upstream of a) upstream.kill();
    const records = await run.done;

    expect(switched).toEqual({ added: 3, draining: 3 });
    expect(drained.inFlightAtStart).toBeGreaterThan(0);
    expect(drained.inFlightAtEnd).toBe(0);
    expect(records).toHaveLength(2000);
    expect(failures(records)).toEqual([]);
    const late = records.filter((r) => r.body.startsWith('a') && r.startedAt >= switchReturnedAt);
    expect(late).toEqual([]);
    for (const upstream of a) expect(countBy(records, upstream.name)).toBeGreaterThan(0);
    for (const upstream of b) expect(countBy(records, upstream.name)).toBeGreaterThan(100);
  }, 120_000);

  it('negative control: stopping the old set right after the switch, without a drain, fails requests', async () => {
    const a = await upstreams('a', 300);
    const b = await upstreams('b', 0);
    const haproxy = await haproxyWith(a);
    const router = createHaproxyRouter({ api: haproxy.process.api });
    const run = startLoad({
      port: haproxy.port,
      host,
      requests: 2000,
      concurrency: 16,
      keepAlive: true,
    });
    await waitFor(
      'requests in flight on every old replica',
      () => a.every((upstream) => upstream.inFlight() >= 1) && run.completed() >= 20,
    );
    await router.route(
      'shop',
      b.map((upstream) => upstream.endpoint),
    );
    for (const upstream of a) upstream.kill();
    const records = await run.done;

    expect(records).toHaveLength(2000);
    expect(failures(records).length).toBeGreaterThan(0);
  }, 120_000);
});
