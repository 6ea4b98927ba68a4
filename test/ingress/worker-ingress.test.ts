/**
 * The worker with a supervised HAProxy (SLIPWAY_INGRESS=supervise), in process through the
 * pipeline harness: real API, database, Redis, Docker and HAProxy on random 127.0.0.1 ports.
 * Releases come from real deployments; the ingress is then synced by a reconcile pass, so these
 * tests hold with or without the pipeline's own route step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { backendName, notFoundBody, unavailableBody } from '../../src/ingress/haproxy-config.js';
import { createRuntimeApi } from '../../src/ingress/runtime-api.js';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import { processesMentioning } from '../support/harness-ingress.js';
import {
  expectJson,
  startPipelineHarness,
  type PipelineHarness,
} from '../support/pipeline-harness.js';

const baseDomain = 'apps.test';
let h: PipelineHarness;
let stateDir: string;

function ingress() {
  if (h.ingress === null) throw new Error('the harness has no ingress');
  return h.ingress;
}

async function appId(name: string): Promise<string> {
  const app = await h.api.db.application.findUniqueOrThrow({
    where: { name },
    select: { id: true },
  });
  return app.id;
}

async function deployLive(app: string, image: string): Promise<void> {
  const deployment = await h.deploy(app, image);
  const done = await h.waitForDeployment(deployment.id, { timeoutMs: 90_000 });
  expect(done.status, await h.log(deployment.id)).toBe('succeeded');
}

async function reconcile() {
  const report = await h.reconcileOnce();
  expect(report, 'the reconcile pass failed (see the worker log)').not.toBeNull();
  return report?.ingress ?? null;
}

/** The live map as host → app id (backend names are app_<id>). */
async function liveMap(): Promise<Record<string, string>> {
  const entries = await ingress().mapEntries();
  return Object.fromEntries(entries.map((e) => [e.key, e.value.replace(/^app_/, '')]));
}

beforeAll(async () => {
  await ensureDockerFixtures();
  h = await startPipelineHarness({ ingress: true, baseDomain });
  stateDir = ingress().config.stateDir;
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  const pid = h.ingress?.ingress.haproxyPid() ?? null;
  await h.close();
  // Nothing left: no HAProxy of this state dir, no container of this harness.
  expect(await processesMentioning(stateDir)).toEqual([]);
  if (pid !== null) expect(() => process.kill(pid, 0)).toThrow();
  expect(await h.containers()).toEqual([]);
}, 60_000);

describe('SLIPWAY_INGRESS=supervise', () => {
  it('routes an app with a live release by Host, its own domain and its default one', async () => {
    await h.createApp('shop');
    expectJson(
      await h.request('PUT', '/v1/apps/shop/domains/shop.example.test'),
      201,
      z.object({}),
    );
    await deployLive('shop', FIXTURE_IMAGES.webV1);
    // The deploy's route step loaded the new app's backend (one reload) and switched to it, so
    // the reconcile pass after it finds nothing to reload.
    const synced = await reconcile();
    expect(synced?.reloaded).toBe(false);

    for (const host of ['shop.example.test', 'shop.apps.test', 'SHOP.apps.test:80']) {
      const res = await ingress().get(host);
      expect(res.status, host).toBe(200);
      expect(res.body).toContain('slipway-test web v1');
    }
    const id = await appId('shop');
    expect(await liveMap()).toEqual({ 'shop.apps.test': id, 'shop.example.test': id });
  }, 120_000);

  it('answers an unknown host 404 with the plain page', async () => {
    const res = await ingress().get('nobody.example.test');
    expect(res.status).toBe(404);
    expect(res.body).toBe(`${notFoundBody}\n`);
  });

  it('a redeploy switches without a reload; a crash-left drain slot is freed', async () => {
    await deployLive('shop', FIXTURE_IMAGES.webV2);
    const synced = await reconcile();
    expect(synced?.reloaded).toBe(false);
    const res = await ingress().get('shop.apps.test');
    expect(res.status).toBe(200);
    expect(res.body).toContain('slipway-test web v2');

    // As a worker killed between route and retire leaves it: the old slot in drain, no
    // deployment running. The next pass puts it in maintenance.
    const api = createRuntimeApi({ socketPath: ingress().config.adminSocket });
    const backend = backendName(await appId('shop'));
    const slots = await api.showServersState(backend);
    const free = slots.find((slot) => slot.admin === 'maint');
    expect(free, JSON.stringify(slots)).toBeDefined();
    if (free === undefined) return;
    await api.setServerAddress(backend, free.server, { ip: '127.0.0.1', port: 9 });
    await api.setServerState(backend, free.server, 'drain');
    expect((await api.showServersState(backend)).map((s) => s.admin).sort()).toEqual([
      'drain',
      'ready',
    ]);
    expect((await reconcile())?.drainsFinished).toBe(1);
    expect((await api.showServersState(backend)).map((s) => s.admin).sort()).toEqual([
      'maint',
      'ready',
    ]);
    expect((await ingress().get('shop.apps.test')).status).toBe(200);
  }, 120_000);

  it('an app created without a release answers 503 with Retry-After; deleted, 404', async () => {
    await h.createApp('empty');
    expect((await ingress().get('empty.apps.test')).status).toBe(404);
    expect((await reconcile())?.reloaded).toBe(true);
    const res = await ingress().get('empty.apps.test');
    expect(res).toEqual({ status: 503, body: `${unavailableBody}\n`, retryAfter: '5' });

    const deleted = await h.request('DELETE', '/v1/apps/empty');
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await reconcile())?.reloaded).toBe(true);
    expect((await ingress().get('empty.apps.test')).status).toBe(404);
    // Its map entry is gone; shop's are untouched and still served.
    expect(Object.keys(await liveMap()).sort()).toEqual(['shop.apps.test', 'shop.example.test']);
    expect((await ingress().get('shop.example.test')).status).toBe(200);
  }, 60_000);

  it('HAProxy killed: the supervisor restarts it and the routes are back within one pass', async () => {
    const before = ingress().ingress.haproxyPid();
    expect(before).not.toBeNull();
    if (before === null) return;
    process.kill(before, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let after = ingress().ingress.haproxyPid();
    while ((after === null || after === before) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = ingress().ingress.haproxyPid();
    }
    expect(after).not.toBeNull();
    expect(after).not.toBe(before);
    await reconcile();
    const res = await ingress().get('shop.apps.test');
    expect(res.status).toBe(200);
    expect(res.body).toContain('slipway-test web v2');
    expect((await ingress().get('nobody.example.test')).status).toBe(404);
    // The killed master's worker went with it: one master and one worker of this dir remain.
    expect(await processesMentioning(stateDir)).toHaveLength(2);
  }, 60_000);

  it('the last app deleted: its map entries and backend go, its container is removed', async () => {
    const deleted = await h.request('DELETE', '/v1/apps/shop');
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await reconcile())?.reloaded).toBe(true);
    expect(await ingress().mapEntries()).toEqual([]);
    expect((await ingress().get('shop.example.test')).status).toBe(404);
    expect(await h.containers()).toEqual([]);
  }, 60_000);
});
