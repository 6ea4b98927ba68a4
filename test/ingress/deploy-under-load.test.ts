/**
 * Issue 10's headline: deploys under load through the real ingress (a supervised HAProxy, real
 * Docker, real worker). Every request succeeds; no request started after the route step finished
 * is answered by the old release; requests in flight on the old release at the switch finish
 * (the web images' /cgi-bin/slow holds each one ~300 ms). The negative control deploys with
 * drainTimeoutSeconds 0 and stopTimeoutSeconds 0, so the old container is killed right after the
 * switch: the same load must then see failures.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import { startLoad, waitFor, type RequestRecord } from '../support/load-generator.js';
import { processesMentioning } from '../support/harness-ingress.js';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const baseDomain = 'load.test';
let h: PipelineHarness;
let stateDir: string;
const figures: Record<string, unknown>[] = [];

function ingressPort(): number {
  if (h.ingress === null) throw new Error('the harness has no ingress');
  return h.ingress.port;
}

beforeAll(async () => {
  await ensureDockerFixtures();
  h = await startPipelineHarness({ ingress: true, baseDomain, concurrency: 2 });
  if (h.ingress === null) throw new Error('no ingress');
  stateDir = h.ingress.config.stateDir;
}, ENSURE_DOCKER_TIMEOUT_MS + 60_000);

afterEach(async () => {
  expect(await h.sweepStrayContainers(), 'containers left behind').toEqual([]);
});

afterAll(async () => {
  await h.close();
  // Nothing of the test is left: no HAProxy of its state dir, no container of its instance.
  expect(await processesMentioning(stateDir)).toEqual([]);
  expect(await h.containers()).toEqual([]);
  await mkdir('.vitest', { recursive: true });
  await writeFile('.vitest/deploy-under-load.json', JSON.stringify(figures, null, 2));
});

async function deployAndWait(app: string, image: string) {
  const deployment = await h.deploy(app, image);
  const done = await h.waitForDeployment(deployment.id, { timeoutMs: 120_000 });
  expect(done.status, await h.log(deployment.id)).toBe('succeeded');
  return done;
}

/** Epoch ms of a load record's start (records use performance.now()). */
const startedAtEpoch = (record: RequestRecord) => performance.timeOrigin + record.startedAt;

interface SwitchRun {
  records: RequestRecord[];
  routeFinishedAt: number;
  log: string;
}

/** Deploys `next` while `requests` go through the ingress; the deploy starts once load is flowing. */
async function deployUnderLoad(
  app: string,
  next: string,
  load: { requests: number; concurrency: number; keepAlive: boolean },
): Promise<SwitchRun> {
  const run = startLoad({
    port: ingressPort(),
    host: `${app}.${baseDomain}`,
    path: '/cgi-bin/slow',
    timeoutMs: 15_000,
    ...load,
  });
  await waitFor('the load to be flowing', () => run.completed() >= load.concurrency * 2, 30_000);
  const deployment = await h.deploy(app, next);
  const done = await h.waitForDeployment(deployment.id, { timeoutMs: 120_000 });
  const records = await run.done;
  const log = await h.log(deployment.id);
  expect(done.status, log).toBe('succeeded');
  const route = done.steps.find((step) => step.kind === 'route');
  expect(route?.status, log).toBe('succeeded');
  if (route?.finishedAt == null) throw new Error('the route step has no finish time');
  const routeFinishedAt = Date.parse(route.finishedAt);
  // The switch happened while the load ran: some requests started after it.
  expect(
    records.filter((r) => startedAtEpoch(r) > routeFinishedAt).length,
    'no request started after the switch: the load ended too early to prove anything',
  ).toBeGreaterThan(0);
  return { records, routeFinishedAt, log };
}

function failures(records: RequestRecord[]) {
  return records.filter(
    (r) => r.error !== null || r.status === null || r.status < 200 || r.status > 299,
  );
}

describe('a deploy under load through the ingress', () => {
  const cases = [
    { name: 'concurrency 8, keep-alive', requests: 400, concurrency: 8, keepAlive: true },
    { name: 'concurrency 32, no keep-alive', requests: 1200, concurrency: 32, keepAlive: false },
  ];
  test.each(cases)(
    '$name: 0 failed, nothing old after the switch, in-flight drained',
    async (load) => {
      const app = `load-${load.concurrency}`;
      await h.createApp(app);
      await deployAndWait(app, FIXTURE_IMAGES.heldV1);
      const { records, routeFinishedAt, log } = await deployUnderLoad(
        app,
        FIXTURE_IMAGES.heldV2,
        load,
      );
      const failed = failures(records);
      expect(failed.slice(0, 5), `${failed.length} of ${records.length} failed`).toEqual([]);
      const oldAfterSwitch = records.filter(
        (r) => startedAtEpoch(r) > routeFinishedAt && r.body.includes(' v1 '),
      );
      expect(oldAfterSwitch.length, 'requests started after the switch answered by v1').toBe(0);
      // Both releases answered: the switch happened mid-load.
      expect(records.some((r) => r.body.includes(' v1 '))).toBe(true);
      expect(records.some((r) => r.body.includes(' v2 '))).toBe(true);
      const drained = /drained (\d+) in-flight request\(s\) in ([\d.]+ m?s)/.exec(log);
      expect(drained, log).not.toBeNull();
      const switched = /switched (\S+) to release \w+ in (\d+ ms)/.exec(log);
      expect(switched?.[1], log).toBe(`${app}.${baseDomain}`);
      figures.push({
        case: load.name,
        requests: records.length,
        failed: failed.length,
        inFlightAtSwitch: Number(drained?.[1]),
        drainTime: drained?.[2],
        switchTime: switched?.[2],
        v1: records.filter((r) => r.body.includes(' v1 ')).length,
        v2: records.filter((r) => r.body.includes(' v2 ')).length,
      });
      // After the old release retired, the app answers from v2 only.
      const after = await h.ingress?.get(`${app}.${baseDomain}`);
      expect(after?.body).toBe('slipway-test web v2\n');
    },
    240_000,
  );

  test('negative control: no drain and an immediate kill of the old release fail requests', async () => {
    const app = 'load-control';
    await h.createApp(app);
    expect(
      (
        await h.request('PATCH', `/v1/apps/${app}/settings/web-container`, {
          drainTimeoutSeconds: 0,
          stopTimeoutSeconds: 0,
        })
      ).statusCode,
    ).toBe(200);
    await deployAndWait(app, FIXTURE_IMAGES.heldV1);
    const { records, routeFinishedAt } = await deployUnderLoad(app, FIXTURE_IMAGES.heldV2, {
      requests: 1200,
      concurrency: 32,
      keepAlive: false,
    });
    const failed = failures(records);
    figures.push({
      case: 'negative control',
      requests: records.length,
      failed: failed.length,
      errors: [...new Set(failed.map((r) => r.error ?? `HTTP ${r.status}`))],
    });
    // The failures come from the kill: nothing failed while the old release served alone.
    expect(failed.filter((r) => startedAtEpoch(r) < routeFinishedAt - 2000)).toEqual([]);
    expect(
      failed.length,
      'the kill of the old release with requests in flight went unseen',
    ).toBeGreaterThan(0);
  }, 240_000);
});

describe('a deploy that fails before the commit point leaves traffic on the previous release', () => {
  async function failingDeployUnderLoad(app: string, image: string) {
    const run = startLoad({
      port: ingressPort(),
      host: `${app}.${baseDomain}`,
      requests: 3000,
      concurrency: 4,
      keepAlive: true,
    });
    const deployment = await h.deploy(app, image);
    const done = await h.waitForDeployment(deployment.id, { timeoutMs: 120_000 });
    const records = await run.done;
    return { done, records };
  }

  test('a failing release command: every request answered by v1, before and after', async () => {
    const app = 'fail-command';
    await h.createApp(app);
    await deployAndWait(app, FIXTURE_IMAGES.heldV1);
    expect(
      (
        await h.request('POST', `/v1/apps/${app}/release-commands`, {
          label: 'boom',
          command: 'exit 3',
        })
      ).statusCode,
    ).toBe(201);
    const { done, records } = await failingDeployUnderLoad(app, FIXTURE_IMAGES.heldV2);
    expect(done.status).toBe('failed');
    expect(failures(records)).toEqual([]);
    expect(records.every((r) => r.body === 'slipway-test web v1\n')).toBe(true);
    expect((await h.ingress?.get(`${app}.${baseDomain}`))?.body).toBe('slipway-test web v1\n');
  }, 240_000);

  test('a candidate that never gets ready: every request answered by v1', async () => {
    const app = 'fail-probe';
    await h.createApp(app, { probe: { startupTimeoutSeconds: 2, maxRetries: 10 } });
    await deployAndWait(app, FIXTURE_IMAGES.heldV1);
    const { done, records } = await failingDeployUnderLoad(app, FIXTURE_IMAGES.webNever);
    expect(done.status).toBe('failed');
    expect(done.steps.find((s) => s.kind === 'probe')?.status).toBe('failed');
    expect(failures(records)).toEqual([]);
    expect(records.every((r) => r.body === 'slipway-test web v1\n')).toBe(true);
  }, 240_000);
});
