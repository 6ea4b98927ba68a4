/**
 * Webhooks end to end: a real API and worker, real deployments, a receiver on 127.0.0.1.
 * Standard Webhooks signatures checked with the library's verifier, retries after 500s and
 * timeouts, order per deployment, redelivery, and a receiver that never answers not slowing a
 * deployment down.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import {
  createApp,
  deploymentRow,
  expectStatus,
  harnessStartTimeoutMs,
  startHarness,
  trigger,
  waitFor,
  waitForFinished,
  type Harness,
} from './harness.js';

const timeoutSeconds = 2;
let h: Harness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await startHarness();
  await h.startWorker({
    SLIPWAY_WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_TIMEOUT_SECONDS: String(timeoutSeconds),
    WEBHOOK_RETRY_BASE_MS: '200',
  });
  receiver = await startWebhookReceiver();
}, harnessStartTimeoutMs);

afterAll(async () => {
  await receiver.close();
  await h.close();
});

const createdSchema = z.object({ id: z.uuid(), secret: z.string().startsWith('whsec_') });
const eventSchema = z.object({
  type: z.string(),
  timestamp: z.string(),
  data: z.object({
    deployment: z.object({ id: z.uuid(), app: z.string(), status: z.string() }),
    step: z.object({ kind: z.string(), status: z.string() }).optional(),
  }),
});
const deliveriesSchema = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      messageId: z.string(),
      event: z.string(),
      status: z.enum(['pending', 'succeeded', 'failed']),
      attemptCount: z.number(),
      lastResponseCode: z.number().nullable(),
      attempts: z.array(
        z.object({
          responseCode: z.number().nullable(),
          durationMs: z.number(),
          error: z.string().nullable(),
        }),
      ),
    }),
  ),
});

async function createWebhook(path: string, body: Record<string, unknown>) {
  const response = await h.api('/v1/webhooks', {
    method: 'POST',
    body: { url: `${receiver.url}${path}`, ...body },
  });
  expectStatus(response, 201);
  return createdSchema.parse(response.json());
}

function receivedAt(path: string) {
  return receiver.received().filter((r) => r.path === path);
}

async function deliveries(webhookId: string) {
  const response = await h.api(`/v1/webhooks/${webhookId}/deliveries`);
  expectStatus(response, 200);
  return deliveriesSchema.parse(response.json()).items;
}

/** Waits until every delivery of the webhook is done, then returns them (oldest first). */
async function settled(webhookId: string, expected: number, timeoutMs = 60_000) {
  const items = await waitFor(
    'webhook deliveries done',
    () => deliveries(webhookId),
    (list) => list.length >= expected && list.every((d) => d.status !== 'pending'),
    timeoutMs,
  );
  return [...items].reverse();
}

/** queued, started, one step.finished per step, then the outcome. */
function expectedTypes(steps: number, outcome: string): string[] {
  return [
    'deployment.queued',
    'deployment.started',
    ...Array<string>(steps).fill('step.finished'),
    `deployment.${outcome}`,
  ];
}

describe('delivery', () => {
  test('every event of a deployment, signed (Standard Webhooks) and in order', async () => {
    const app = await createApp(h, 'wh-ok', {
      releaseCommands: [{ label: 'm', command: 'echo m' }],
    });
    const path = `/ok/${app}`;
    const { id, secret } = await createWebhook(path, { apps: [app] });
    const deployment = await trigger(h, app, FIXTURE_IMAGES.webV1);
    expect((await waitForFinished(h.db, deployment.id, 60_000)).status).toBe('succeeded');
    const done = await settled(id, 10);
    expect(done.map((d) => d.status)).toEqual(Array<string>(10).fill('succeeded'));

    const verifier = new Webhook(secret);
    const got = receivedAt(path);
    const types = got.map((request) => {
      verifier.verify(request.body, request.headers);
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      return eventSchema.parse(JSON.parse(request.body)).type;
    });
    // pull, one release command, start, probe, activate.
    expect(types).toEqual(expectedTypes(7, 'succeeded'));
    const first = got[0];
    if (first === undefined) throw new Error('nothing received');
    // Negative control: the verifier does reject a body that was changed after signing.
    expect(() => verifier.verify(first.body.replace('queued', 'started'), first.headers)).toThrow();
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another-secret-key-x').toString('base64')}`).verify(
        first.body,
        first.headers,
      ),
    ).toThrow();
  });

  test('retries after 500s with back-off, keeping the order of the deployment', async () => {
    const app = await createApp(h, 'wh-flaky');
    const path = `/flaky/3/${app}`;
    const { id } = await createWebhook(path, { apps: [app] });
    const deployment = await trigger(h, app, FIXTURE_IMAGES.webV1);
    await waitForFinished(h.db, deployment.id, 60_000);
    const done = await settled(id, 9);
    // Kept for the closing note of the issue (.vitest/ is not committed).
    await mkdir('.vitest', { recursive: true });
    await writeFile('.vitest/webhook-deliveries.json', JSON.stringify(done, null, 2));
    const queued = done[0];
    expect(queued?.event).toBe('deployment.queued');
    expect(queued?.attempts.map((a) => a.responseCode)).toEqual([500, 500, 500, 200]);
    expect(queued?.status).toBe('succeeded');
    const got = receivedAt(path).map((r) => eventSchema.parse(JSON.parse(r.body)).type);
    // The failed attempts of `queued` come first: nothing later overtook it.
    expect(got).toEqual([
      ...Array<string>(3).fill('deployment.queued'),
      ...expectedTypes(6, 'succeeded'),
    ]);
    const gaps = receivedAt(path)
      .slice(0, 4)
      .map((r, i, all) => (i === 0 ? 0 : r.at - (all[i - 1]?.at ?? 0)));
    expect(gaps[2] ?? 0).toBeGreaterThanOrEqual(gaps[1] ?? 0);
  });

  test('a receiver that does not answer in time is retried', async () => {
    const app = await createApp(h, 'wh-slow');
    const path = `/slow/${(timeoutSeconds + 2) * 1000}/${app}`;
    const { id } = await createWebhook(path, { apps: [app], events: ['deployment.succeeded'] });
    const deployment = await trigger(h, app, FIXTURE_IMAGES.webV1);
    await waitForFinished(h.db, deployment.id, 60_000);
    const [only] = await settled(id, 1);
    expect(only?.event).toBe('deployment.succeeded');
    expect(only?.attempts[0]?.responseCode).toBeNull();
    expect(only?.attempts[0]?.error).toMatch(/no answer within/);
    expect(only?.attempts.at(-1)?.responseCode).toBe(200);
    expect(only?.status).toBe('succeeded');
  });

  test('a receiver that never answers does not slow a deployment down', async () => {
    const app = await createApp(h, 'wh-never', {
      releaseCommands: [
        { label: 'a', command: 'true' },
        { label: 'b', command: 'true' },
      ],
    });
    await createWebhook(`/never/${app}`, { apps: [app] });
    const deployment = await trigger(h, app, FIXTURE_IMAGES.webV1);
    const row = await waitForFinished(h.db, deployment.id, 60_000);
    expect(row.status).toBe('succeeded');
    const took = (row.finishedAt?.getTime() ?? 0) - (row.startedAt?.getTime() ?? 0);
    // Waiting on the receiver would cost at least one timeout per event (9 events here).
    expect(took).toBeLessThan(timeoutSeconds * 1000 * 3);
  });

  test('filters: other apps and unwanted events are not delivered', async () => {
    const mine = await createApp(h, 'wh-mine');
    const other = await createApp(h, 'wh-other');
    const path = `/ok/filter-${mine}`;
    const { id } = await createWebhook(path, {
      apps: [mine],
      events: ['deployment.succeeded', 'deployment.failed'],
    });
    const ours = await trigger(h, mine, FIXTURE_IMAGES.webV1);
    const theirs = await trigger(h, other, FIXTURE_IMAGES.webV1);
    await waitForFinished(h.db, ours.id, 60_000);
    await waitForFinished(h.db, theirs.id, 60_000);
    const done = await settled(id, 1);
    expect(done.map((d) => d.event)).toEqual(['deployment.succeeded']);
    const bodies = receivedAt(path).map((r) => eventSchema.parse(JSON.parse(r.body)));
    expect(bodies.map((b) => b.data.deployment.id)).toEqual([ours.id]);
  });

  test('redelivery sends the same message (same webhook-id) again', async () => {
    const app = await createApp(h, 'wh-redeliver');
    const path = `/ok/redeliver-${app}`;
    const { id, secret } = await createWebhook(path, {
      apps: [app],
      events: ['deployment.queued'],
    });
    await trigger(h, app, FIXTURE_IMAGES.webV1);
    const [original] = await settled(id, 1);
    if (original === undefined) throw new Error('no delivery');
    const response = await h.api(`/v1/webhooks/${id}/deliveries/${original.id}/redeliver`, {
      method: 'POST',
    });
    expectStatus(response, 202);
    const audit = await h.api('/v1/audit?limit=20');
    expect(audit.text).toContain('"action":"webhook.redeliver"');
    const done = await settled(id, 2);
    expect(done.map((d) => d.messageId)).toEqual([original.messageId, original.messageId]);
    const got = receivedAt(path);
    expect(got).toHaveLength(2);
    expect(got[1]?.headers['webhook-id']).toBe(original.messageId);
    new Webhook(secret).verify(got[1]?.body ?? '', got[1]?.headers ?? {});
    const unknown = await h.api(`/v1/webhooks/${id}/deliveries/${crypto.randomUUID()}/redeliver`, {
      method: 'POST',
    });
    expectStatus(unknown, 404);
  });

  test('a job lost with Redis is repaired from the outbox in PostgreSQL', async () => {
    const app = await createApp(h, 'wh-outbox');
    const path = `/ok/outbox-${app}`;
    const { id } = await createWebhook(path, { apps: [app], events: ['deployment.succeeded'] });
    // A due delivery with no job at all, as if Redis had lost it.
    const deployment = await trigger(h, app, FIXTURE_IMAGES.webV1);
    await waitForFinished(h.db, deployment.id, 60_000);
    await settled(id, 1);
    await h.db.webhookDelivery.create({
      data: {
        webhookId: id,
        messageId: 'msg_outbox_repair',
        eventType: 'deployment.succeeded',
        deploymentId: null,
        payload: { type: 'deployment.succeeded', repaired: true },
        nextAttemptAt: new Date(Date.now() - 60_000),
      },
    });
    await waitFor(
      'the sweep to deliver the orphaned row',
      () =>
        Promise.resolve(
          receivedAt(path).filter((r) => r.headers['webhook-id'] === 'msg_outbox_repair'),
        ),
      (list) => list.length === 1,
      30_000,
    );
    expect((await deploymentRow(h.db, deployment.id)).status).toBe('succeeded');
  });
});

test('a deployment cancelled while still queued is reported as deployment.cancelled', async () => {
  const app = await createApp(h, 'wh-cancel', {
    releaseCommands: [{ label: 'hold', command: 'echo hold; sleep 30' }],
  });
  const path = `/ok/cancel-${app}`;
  const { id } = await createWebhook(path, {
    apps: [app],
    events: ['deployment.cancelled'],
  });
  // The first runs; the second waits behind it (one deployment per app at a time).
  const running = await trigger(h, app, FIXTURE_IMAGES.webV1);
  const queued = await trigger(h, app, FIXTURE_IMAGES.webV1);
  expectStatus(await h.api(`/v1/deployments/${queued.id}/cancel`, { method: 'POST' }), 200);
  expectStatus(await h.api(`/v1/deployments/${running.id}/cancel`, { method: 'POST' }), 202);
  await waitForFinished(h.db, running.id, 60_000);
  const done = await settled(id, 2);
  const ids = receivedAt(path).map((r) => eventSchema.parse(JSON.parse(r.body)).data.deployment.id);
  expect(done.map((d) => d.event)).toEqual(['deployment.cancelled', 'deployment.cancelled']);
  expect(ids.sort()).toEqual([queued.id, running.id].sort());
});

test('a secret that does not open is a recorded failed attempt, not a lost delivery', async () => {
  const app = await createApp(h, 'wh-badkey');
  const path = `/ok/badkey-${app}`;
  const { id } = await createWebhook(path, { apps: [app], events: ['deployment.queued'] });
  await h.db.webhook.update({ where: { id }, data: { secretSealed: 'v1.AAAA.BBBB' } });
  await trigger(h, app, FIXTURE_IMAGES.webV1);
  const [delivery] = await waitFor(
    'a failed attempt to be recorded',
    () => deliveries(id),
    (list) => (list[0]?.attempts.length ?? 0) >= 1,
    30_000,
  );
  expect(delivery?.status).toBe('pending');
  expect(delivery?.attempts[0]?.error).toMatch(/cannot decrypt signing secret of webhook/);
  expect(receivedAt(path)).toEqual([]);
  await h.api(`/v1/webhooks/${id}`, { method: 'DELETE' });
});
