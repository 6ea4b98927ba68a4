import type { Logger } from 'pino';
import type { WebhookRepository } from '../db/webhook-repository.js';
import { open } from '../domain/secret-box.js';
import {
  webhookGiveUpAfterMs,
  webhookRetryDelayMs,
  webhookSecretContext,
} from '../domain/webhook-events.js';
import { signWebhook } from '../domain/webhook-signature.js';
import type { SendResult } from '../webhooks/send-webhook.js';

export interface WebhookDelivererOptions {
  repository: WebhookRepository;
  secretKey: Buffer;
  send: (request: {
    url: string;
    body: string;
    headers: Record<string, string>;
    timeoutMs: number;
  }) => Promise<SendResult>;
  schedule: (deliveryId: string, delayMs: number) => Promise<void>;
  logger: Logger;
  timeoutMs: number;
  retryBaseMs: number;
}

/**
 * One attempt at one delivery. PostgreSQL decides: only a due delivery is attempted (claimed
 * first, so duplicate jobs are harmless), and only when every earlier delivery of the same
 * deployment to the same webhook is done, so a receiver sees a deployment's events in order.
 */
export function createWebhookDeliverer(options: WebhookDelivererOptions) {
  const { repository, logger } = options;

  async function kickNext(delivery: { webhookId: string; deploymentId: string | null }) {
    const next = await repository.nextInChain(delivery);
    if (next !== null) await options.schedule(next.id, 0);
  }

  return async function deliver(deliveryId: string): Promise<void> {
    const delivery = await repository.findDelivery(deliveryId);
    if (delivery?.status !== 'pending') return;
    // Woken by the sweep or a duplicate before an earlier delivery is done: that one's end wakes it.
    if (await repository.hasEarlierPending(delivery)) return;
    const leaseUntil = new Date(Date.now() + options.timeoutMs + 30_000);
    if (!(await repository.claim(delivery.id, leaseUntil))) return;

    const { webhook } = delivery;
    const body = JSON.stringify(delivery.payload);
    const result = webhook.enabled
      ? await attempt(webhook, delivery.messageId, body).catch(
          // E.g. a secret sealed under another SLIPWAY_SECRET_KEY: recorded, retried, never lost.
          (error: unknown): SendResult => ({
            status: null,
            durationMs: 0,
            error: error instanceof Error ? error.message : String(error),
          }),
        )
      : { status: null, durationMs: 0, error: 'the webhook is disabled' };
    const succeeded = result.status !== null && result.status >= 200 && result.status < 300;
    const failedAttempts = delivery.attemptCount + 1;
    const delayMs = webhookRetryDelayMs(failedAttempts, options.retryBaseMs);
    const retryAt = new Date(Date.now() + delayMs);
    const giveUp =
      !webhook.enabled || retryAt.getTime() > delivery.createdAt.getTime() + webhookGiveUpAfterMs;
    const status = succeeded ? 'succeeded' : giveUp ? 'failed' : 'pending';
    await repository.recordAttempt(
      delivery.id,
      {
        responseCode: result.status,
        durationMs: result.durationMs,
        error: succeeded ? null : (result.error ?? `HTTP ${result.status ?? '?'}`),
      },
      { status, nextAttemptAt: status === 'pending' ? retryAt : null },
    );
    logger.info(
      {
        deliveryId,
        webhookId: webhook.id,
        status,
        responseCode: result.status,
        ms: result.durationMs,
      },
      'webhook attempt',
    );
    if (status === 'pending') await options.schedule(delivery.id, delayMs);
    else await kickNext(delivery);
  };

  async function attempt(
    webhook: { id: string; url: string; secretSealed: string },
    messageId: string,
    body: string,
  ): Promise<SendResult> {
    const secret = open(
      options.secretKey,
      webhook.secretSealed,
      webhookSecretContext(webhook.id),
      `signing secret of webhook ${webhook.id}`,
    );
    const headers = signWebhook(secret, messageId, new Date(), body);
    return options.send({ url: webhook.url, body, headers, timeoutMs: options.timeoutMs });
  }
}

export type WebhookDeliverer = ReturnType<typeof createWebhookDeliverer>;
