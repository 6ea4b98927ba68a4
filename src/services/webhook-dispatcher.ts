import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { NewDelivery, WebhookRepository } from '../db/webhook-repository.js';
import type { WebhookEventType } from '../domain/webhook-events.js';

export interface WebhookEvent {
  type: WebhookEventType;
  applicationId: string;
  deploymentId: string;
  /**
   * The payload's data, or how to read it: read only when some webhook wants the event, so an
   * installation without webhooks pays one indexed query per event and nothing more. Null from
   * the reader means there is nothing left to report (the deployment is gone).
   */
  data: Record<string, unknown> | (() => Promise<Record<string, unknown> | null>);
}

/**
 * Turns an event into one delivery per interested webhook: the rows are written to PostgreSQL
 * first (the outbox), then a job is asked for each. A job lost with Redis is repaired by the
 * sweep, since the row says the delivery is still due.
 */
export function createWebhookDispatcher(deps: {
  repository: Pick<WebhookRepository, 'matching' | 'insertDeliveries'>;
  schedule: (deliveryId: string, delayMs: number) => Promise<void>;
  logger: Logger;
}) {
  return async function dispatch(event: WebhookEvent): Promise<void> {
    const webhooks = await deps.repository.matching(event.applicationId, event.type);
    if (webhooks.length === 0) return;
    const data = typeof event.data === 'function' ? await event.data() : event.data;
    if (data === null) return;
    const payload = { type: event.type, timestamp: new Date().toISOString(), data };
    const rows = await deps.repository.insertDeliveries(
      webhooks.map((webhook) => ({
        webhookId: webhook.id,
        messageId: `msg_${randomUUID()}`,
        eventType: event.type,
        deploymentId: event.deploymentId,
        payload: JSON.parse(JSON.stringify(payload)) as NewDelivery['payload'],
      })),
    );
    for (const row of rows) {
      await deps.schedule(row.id, 0).catch((error: unknown) => {
        deps.logger.warn(
          { err: error, deliveryId: row.id },
          'webhook job not queued; the sweep will',
        );
      });
    }
  };
}

export type WebhookDispatch = ReturnType<typeof createWebhookDispatcher>;
