/**
 * The delivery side of the private-address refusal: the address is checked when the connection
 * is made, so a receiver on 127.0.0.1 is never contacted unless private targets are allowed.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sendWebhook } from '../../src/webhooks/send-webhook.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver.close();
});

const request = (url: string, allowPrivate: boolean) =>
  sendWebhook({
    url,
    body: '{"a":1}',
    headers: { 'webhook-id': 'msg_1' },
    timeoutMs: 2000,
    allowPrivate,
  });

test('a loopback receiver is refused at delivery time and never contacted', async () => {
  const result = await request(`${receiver.url}/ok/refused`, false);
  expect(result.status).toBeNull();
  expect(result.error).toMatch(
    /resolves to 127\.0\.0\.1, a loopback, link-local or private address/,
  );
  expect(receiver.received().filter((r) => r.path === '/ok/refused')).toEqual([]);
});

test('a name resolving to loopback (localhost) is refused the same way', async () => {
  const port = new URL(receiver.url).port;
  const result = await request(`http://localhost:${port}/ok/localhost`, false);
  expect(result.error).toMatch(/private address/);
  expect(receiver.received().filter((r) => r.path === '/ok/localhost')).toEqual([]);
});

test('with private targets allowed the same receiver gets the request (negative control)', async () => {
  const result = await request(`${receiver.url}/ok/allowed`, true);
  expect(result.status).toBe(204);
  const got = receiver.received().filter((r) => r.path === '/ok/allowed');
  expect(got.map((r) => [r.body, r.headers['webhook-id'], r.headers['content-type']])).toEqual([
    ['{"a":1}', 'msg_1', 'application/json'],
  ]);
});

test('a receiver that never answers is cut off at the timeout', async () => {
  const started = Date.now();
  const result = await sendWebhook({
    url: `${receiver.url}/never/timeout`,
    body: '{}',
    headers: {},
    timeoutMs: 500,
    allowPrivate: true,
  });
  expect(result.status).toBeNull();
  expect(result.error).toMatch(/no answer within 500 ms/);
  expect(Date.now() - started).toBeLessThan(3000);
});
