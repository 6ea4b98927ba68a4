/**
 * SLIPWAY_INGRESS=external as Compose runs it: HAProxy started by someone else once the worker
 * has written haproxy.cfg into the shared state dir (`haproxy -W -S <master socket> -f …`), the
 * worker reloading through the master CLI and switching through the admin socket. Real API,
 * database and HAProxy; an in-process upstream stands in for a release.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngressConfig } from '../../src/config/ingress-config.js';
import { createIngressStateReader } from '../../src/db/ingress-state-reader.js';
import { backendName, unavailableBody } from '../../src/ingress/haproxy-config.js';
import { createRuntimeApi } from '../../src/ingress/runtime-api.js';
import { startIngress, type Ingress } from '../../src/ingress/start-ingress.js';
import { freePort } from '../support/free-port.js';
import {
  ingressConfigForTest,
  ingressGet,
  processesMentioning,
} from '../support/harness-ingress.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startUpstream, type Upstream } from '../support/upstream-server.js';

let api: TestServer;
let config: IngressConfig;
let ingress: Ingress;
let haproxy: ChildProcess;
let upstream: Upstream;
let held: Upstream;

/** The Compose ingress service's command, as a child of the test. */
function startExternalHaproxy(): ChildProcess {
  return spawn('haproxy', ['-W', '-db', '-S', config.masterSocket, '-f', config.configFile], {
    stdio: 'ignore',
  });
}

async function stopExternalHaproxy(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function request(method: 'POST' | 'PUT', url: string, body?: object) {
  const res = await api.request(api.adminToken, {
    method,
    url,
    ...(body === undefined ? {} : { payload: body }),
  });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res;
}

async function appId(name: string): Promise<string> {
  return (await api.db.application.findUniqueOrThrow({ where: { name }, select: { id: true } })).id;
}

beforeAll(async () => {
  api = await startTestServer();
  upstream = await startUpstream('upstream-a');
  held = await startUpstream('held', 1500);
  config = { ...ingressConfigForTest(await freePort(), null), mode: 'external' };
  const starting = startIngress(
    { ...config, connectTimeoutMs: 20_000 },
    createIngressStateReader(api.db),
    pino({ level: 'silent' }),
  );
  // Like the Compose service: wait (bounded) for the worker's haproxy.cfg, then start.
  for (let i = 0; i < 200; i += 1) {
    if (
      await access(config.configFile).then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  haproxy = startExternalHaproxy();
  ingress = await starting;
}, 60_000);

afterAll(async () => {
  await ingress.close();
  await stopExternalHaproxy(haproxy);
  expect(await processesMentioning(config.stateDir)).toEqual([]);
  await rm(config.stateDir, { recursive: true, force: true });
  await upstream.close();
  await held.close();
  await api.close();
}, 30_000);

describe('SLIPWAY_INGRESS=external', () => {
  it('reloads through the master CLI when an app is created: its host answers 503', async () => {
    await request('POST', '/v1/apps', { name: 'ext' });
    await request('PUT', '/v1/apps/ext/domains/ext.example.test');
    const report = await ingress.sync();
    expect(report.reloaded).toBe(true);
    const res = await ingressGet(config.bind.port, 'ext.example.test');
    expect(res).toEqual({ status: 503, body: `${unavailableBody}\n`, retryAfter: '5' });
    // Nothing changed since: the next sync neither writes nor reloads.
    expect(await ingress.sync()).toMatchObject({ filesWritten: 0, reloaded: false });
  });

  it('route() for an app HAProxy has no backend for yet loads it first, then switches', async () => {
    await request('POST', '/v1/apps', { name: 'late' });
    await request('PUT', '/v1/apps/late/domains/late.example.test');
    const result = await ingress.router.route(await appId('late'), [upstream.endpoint]);
    expect(result).toEqual({ added: 1, draining: 0 });
    const res = await ingressGet(config.bind.port, 'late.example.test');
    expect(res.status).toBe(200);
    expect(res.body).toContain('upstream-a');
  });

  it('HAProxy restarted from outside: the files it loads give every app back its address', async () => {
    await stopExternalHaproxy(haproxy);
    haproxy = startExternalHaproxy();
    let res = null;
    for (let i = 0; i < 100 && res === null; i += 1) {
      res = await ingressGet(config.bind.port, 'ext.example.test').catch(() => null);
      if (res === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(res?.status).toBe(503);
    expect((await ingressGet(config.bind.port, 'nobody.example.test')).status).toBe(404);
    const report = await ingress.sync();
    expect(report.reloaded).toBe(false);
  });

  it('a draining slot with requests in flight is left to a running deployment, then freed', async () => {
    const id = await appId('late');
    const backend = backendName(id);
    const admin = createRuntimeApi({ socketPath: config.adminSocket });
    await ingress.router.route(id, [held.endpoint]);
    // One request held 1.5 s by the upstream, in flight while the app switches away from it.
    const inFlight = ingressGet(config.bind.port, 'late.example.test');
    for (let i = 0; i < 100 && held.inFlight() === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(held.inFlight()).toBe(1);
    expect(await ingress.router.route(id, [upstream.endpoint])).toEqual({ added: 1, draining: 1 });
    const deployment = await api.db.deployment.create({
      data: { applicationId: id, image: 'example/late:1', status: 'running', settings: {} },
    });
    // The app has no release in the database: the sync drains the other slot too (0 in flight:
    // freed), but the one with a request in flight is the running deployment's to free.
    const report = await ingress.sync();
    expect(report.drainsFinished).toBe(1);
    const states = await admin.showServersState(backend);
    expect(states.find((s) => s.port === held.port)?.admin).toBe('drain');
    expect(await inFlight).toMatchObject({ status: 200, body: 'held' });

    // The deployment ended without freeing it (its worker crashed): the next pass does.
    await api.db.deployment.update({ where: { id: deployment.id }, data: { status: 'failed' } });
    expect((await ingress.sync()).drainsFinished).toBe(1);
    expect((await admin.showServersState(backend)).map((s) => s.admin)).toEqual(['maint', 'maint']);
    expect((await ingressGet(config.bind.port, 'late.example.test')).status).toBe(503);
  });
});
