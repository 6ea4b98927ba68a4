import { randomUUID } from 'node:crypto';
import type { StoredDelivery, StoredWebhook, WebhookRepository } from '../db/webhook-repository.js';
import { AppError } from '../domain/errors.js';
import { seal } from '../domain/secret-box.js';
import {
  webhookEventTypes,
  webhookSecretContext,
  type WebhookEventType,
} from '../domain/webhook-events.js';
import { newWebhookSecret } from '../domain/webhook-signature.js';
import type {
  CreateWebhook,
  UpdateWebhook,
  WebhookDeliveryView,
  WebhookView,
} from '../schemas/webhook.js';
import { PrivateTargetError, resolveTarget } from '../webhooks/resolve-target.js';

function notFound(id: string): AppError {
  return new AppError('WEBHOOK_NOT_FOUND', `no webhook ${id}`);
}

const knownEvents = new Set<string>(webhookEventTypes);
const isEventType = (value: string): value is WebhookEventType => knownEvents.has(value);

/** Admin management of webhooks: targets checked, secrets sealed and shown once. */
export function createWebhookService(deps: {
  repository: WebhookRepository;
  secretKey: Buffer;
  allowPrivate: boolean;
  schedule: (deliveryId: string, delayMs: number) => Promise<void>;
}) {
  const { repository } = deps;

  /** Refuses a URL whose host resolves (now) to a private address, or to nothing. */
  async function checkTarget(url: string): Promise<void> {
    const host = new URL(url).hostname;
    try {
      await resolveTarget(host, deps.allowPrivate);
    } catch (error) {
      const detail =
        error instanceof PrivateTargetError
          ? `${error.message}; set SLIPWAY_WEBHOOK_ALLOW_PRIVATE=true to allow it`
          : `${host} does not resolve: ${error instanceof Error ? error.message : String(error)}`;
      throw new AppError('WEBHOOK_TARGET_REFUSED', detail, {
        issues: [{ path: '/url', message: 'target refused' }],
        cause: error,
      });
    }
  }

  async function appIds(names: string[] | undefined): Promise<string[] | undefined> {
    if (names === undefined) return undefined;
    const ids = await repository.appIdsByName(names);
    const missing = names.find((name) => !ids.has(name));
    if (missing !== undefined) throw new AppError('APP_NOT_FOUND', `no application ${missing}`);
    return [...new Set(names.map((name) => ids.get(name) ?? ''))];
  }

  async function view(webhook: StoredWebhook): Promise<WebhookView> {
    const names = await repository.appNamesById(webhook.appIds);
    return {
      id: webhook.id,
      url: webhook.url,
      description: webhook.description,
      apps: webhook.appIds.flatMap((id) => names.get(id) ?? []),
      events: webhook.events.filter(isEventType),
      enabled: webhook.enabled,
      createdAt: webhook.createdAt.toISOString(),
      updatedAt: webhook.updatedAt.toISOString(),
    };
  }

  async function requireWebhook(id: string): Promise<StoredWebhook> {
    const webhook = await repository.findById(id);
    if (webhook === null) throw notFound(id);
    return webhook;
  }

  return {
    async create(input: CreateWebhook): Promise<WebhookView & { secret: string }> {
      await checkTarget(input.url);
      const id = randomUUID();
      const secret = newWebhookSecret();
      const created = await repository.create({
        id,
        url: input.url,
        description: input.description ?? null,
        appIds: (await appIds(input.apps)) ?? [],
        events: [...new Set(input.events ?? [])],
        secretSealed: seal(deps.secretKey, secret, webhookSecretContext(id)),
      });
      return { ...(await view(created)), secret };
    },

    async list(): Promise<{ items: WebhookView[] }> {
      const rows = await repository.list();
      return { items: await Promise.all(rows.map(view)) };
    },

    get: async (id: string) => view(await requireWebhook(id)),

    async update(id: string, input: UpdateWebhook): Promise<WebhookView> {
      if (input.url !== undefined) await checkTarget(input.url);
      const ids = await appIds(input.apps);
      const updated = await repository.update(id, {
        ...(input.url === undefined ? {} : { url: input.url }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(ids === undefined ? {} : { appIds: ids }),
        ...(input.events === undefined ? {} : { events: [...new Set(input.events)] }),
        ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
      });
      if (updated === null) throw notFound(id);
      return view(updated);
    },

    async delete(id: string): Promise<void> {
      if (!(await repository.delete(id))) throw notFound(id);
    },

    async deliveries(id: string, limit: number): Promise<{ items: WebhookDeliveryView[] }> {
      await requireWebhook(id);
      const rows = await repository.listDeliveries(id, limit);
      return { items: rows.map(deliveryView) };
    },

    /** Sends the same message again (same webhook-id), as a new delivery due now. */
    async redeliver(id: string, deliveryId: string): Promise<WebhookDeliveryView> {
      await requireWebhook(id);
      const copy = await repository.redeliver(id, deliveryId);
      if (copy === null) {
        throw new AppError(
          'WEBHOOK_DELIVERY_NOT_FOUND',
          `webhook ${id} has no delivery ${deliveryId}`,
        );
      }
      await deps.schedule(copy.id, 0);
      return deliveryView(copy);
    },
  };
}

function deliveryView(row: StoredDelivery): WebhookDeliveryView {
  const last = row.attempts.at(-1);
  const status = row.status === 'succeeded' || row.status === 'failed' ? row.status : 'pending';
  return {
    id: row.id,
    messageId: row.messageId,
    event: isEventType(row.eventType) ? row.eventType : 'deployment.queued',
    deploymentId: row.deploymentId,
    status,
    attemptCount: row.attemptCount,
    lastResponseCode: last?.responseCode ?? null,
    lastDurationMs: last?.durationMs ?? null,
    nextAttemptAt: status === 'pending' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    attempts: row.attempts.map((attempt) => ({
      attemptedAt: attempt.attemptedAt.toISOString(),
      responseCode: attempt.responseCode,
      durationMs: attempt.durationMs,
      error: attempt.error,
    })),
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
