import type { Prisma } from '../generated/prisma/client.js';
import { auditedTransaction } from './audited-transaction.js';
import type { Database } from './prisma-client.js';

export interface StoredWebhook {
  id: string;
  url: string;
  description: string | null;
  appIds: string[];
  events: string[];
  secretSealed: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredAttempt {
  attemptedAt: Date;
  responseCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface StoredDelivery {
  id: string;
  sequence: bigint;
  webhookId: string;
  messageId: string;
  eventType: string;
  deploymentId: string | null;
  payload: unknown;
  status: string;
  attemptCount: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  finishedAt: Date | null;
  attempts: StoredAttempt[];
}

export interface NewDelivery {
  webhookId: string;
  messageId: string;
  eventType: string;
  deploymentId: string | null;
  payload: Prisma.InputJsonValue;
}

const withAttempts = { attempts: { orderBy: { id: 'asc' } } } as const;

/** Webhooks, and their deliveries: the outbox the delivery queue works from. */
export function createWebhookRepository(db: Database) {
  return {
    // Changes are audited in their own transaction (see audited-transaction.ts).
    create: (data: Omit<StoredWebhook, 'createdAt' | 'updatedAt' | 'enabled'>) =>
      auditedTransaction(
        db,
        (tx) => tx.webhook.create({ data }),
        (created) => ({ app: null, createdId: created.id }),
      ),
    list: () => db.webhook.findMany({ orderBy: { createdAt: 'asc' } }),
    findById: (id: string) => db.webhook.findUnique({ where: { id } }),
    async update(
      id: string,
      data: Partial<Pick<StoredWebhook, 'url' | 'description' | 'appIds' | 'events' | 'enabled'>>,
    ): Promise<StoredWebhook | null> {
      return auditedTransaction(
        db,
        async (tx) => {
          const { count } = await tx.webhook.updateMany({ where: { id }, data });
          return count === 0 ? null : tx.webhook.findUnique({ where: { id } });
        },
        (updated) => (updated === null ? null : { app: null }),
      );
    },
    delete: (id: string): Promise<boolean> =>
      auditedTransaction(
        db,
        async (tx) => (await tx.webhook.deleteMany({ where: { id } })).count > 0,
        (deleted) => (deleted ? { app: null } : null),
      ),

    async appIdsByName(names: string[]): Promise<Map<string, string>> {
      const rows = await db.application.findMany({
        where: { name: { in: names } },
        select: { id: true, name: true },
      });
      return new Map(rows.map((row) => [row.name, row.id]));
    },
    async appNamesById(ids: string[]): Promise<Map<string, string>> {
      const rows = await db.application.findMany({
        where: { id: { in: ids } },
        select: { id: true, name: true },
      });
      return new Map(rows.map((row) => [row.id, row.name]));
    },

    /** Enabled webhooks that want this event of this application. */
    matching: (applicationId: string, eventType: string) =>
      db.webhook.findMany({
        where: {
          enabled: true,
          AND: [
            { OR: [{ appIds: { isEmpty: true } }, { appIds: { has: applicationId } }] },
            { OR: [{ events: { isEmpty: true } }, { events: { has: eventType } }] },
          ],
        },
        orderBy: { createdAt: 'asc' },
      }),

    /** One transaction, so the deliveries of one event get consecutive sequence numbers. */
    insertDeliveries: (deliveries: NewDelivery[]) =>
      db.$transaction(
        deliveries.map((data) =>
          db.webhookDelivery.create({ data, select: { id: true, attemptCount: true } }),
        ),
      ),

    findDelivery: (id: string) =>
      db.webhookDelivery.findUnique({ where: { id }, include: { webhook: true } }),

    /**
     * Takes a due delivery for one attempt: pushes its next attempt time past the attempt's end,
     * so a duplicate job (or another worker) finds it not due and leaves it. True when taken.
     */
    async claim(id: string, leaseUntil: Date): Promise<boolean> {
      const { count } = await db.webhookDelivery.updateMany({
        where: { id, status: 'pending', nextAttemptAt: { lte: new Date() } },
        data: { nextAttemptAt: leaseUntil },
      });
      return count === 1;
    },

    /** The next delivery still due of the same deployment to the same webhook, if any. */
    nextInChain: (delivery: Pick<StoredDelivery, 'webhookId' | 'deploymentId'>) =>
      delivery.deploymentId === null
        ? Promise.resolve(null)
        : db.webhookDelivery.findFirst({
            where: {
              webhookId: delivery.webhookId,
              deploymentId: delivery.deploymentId,
              status: 'pending',
            },
            orderBy: { sequence: 'asc' },
            select: { id: true },
          }),

    async applicationIdOf(deploymentId: string): Promise<string | null> {
      const row = await db.deployment.findUnique({
        where: { id: deploymentId },
        select: { applicationId: true },
      });
      return row?.applicationId ?? null;
    },

    /** Whether an earlier delivery of the same deployment to the same webhook is still due. */
    async hasEarlierPending(
      delivery: Pick<StoredDelivery, 'webhookId' | 'deploymentId' | 'sequence'>,
    ) {
      if (delivery.deploymentId === null) return false;
      const earlier = await db.webhookDelivery.count({
        where: {
          webhookId: delivery.webhookId,
          deploymentId: delivery.deploymentId,
          sequence: { lt: delivery.sequence },
          status: 'pending',
        },
      });
      return earlier > 0;
    },

    recordAttempt: (
      deliveryId: string,
      attempt: Omit<StoredAttempt, 'attemptedAt'>,
      next: { status: 'pending' | 'succeeded' | 'failed'; nextAttemptAt: Date | null },
    ) =>
      db.webhookDelivery.update({
        where: { id: deliveryId },
        data: {
          status: next.status,
          nextAttemptAt: next.nextAttemptAt,
          attemptCount: { increment: 1 },
          finishedAt: next.status === 'pending' ? null : new Date(),
          attempts: { create: attempt },
        },
        select: { attemptCount: true },
      }),

    /** Pending deliveries due before `before`: their jobs may be lost with Redis. */
    due: (before: Date, limit: number) =>
      db.webhookDelivery.findMany({
        where: { status: 'pending', nextAttemptAt: { lt: before } },
        orderBy: { sequence: 'asc' },
        take: limit,
        select: { id: true, attemptCount: true },
      }),

    listDeliveries: (webhookId: string, limit: number): Promise<StoredDelivery[]> =>
      db.webhookDelivery.findMany({
        where: { webhookId },
        orderBy: { sequence: 'desc' },
        take: limit,
        include: withAttempts,
      }),

    /** A new delivery of the same message (same webhook-id, same payload), due now. */
    async redeliver(webhookId: string, deliveryId: string): Promise<StoredDelivery | null> {
      return auditedTransaction(
        db,
        async (tx) => {
          const original = await tx.webhookDelivery.findFirst({
            where: { id: deliveryId, webhookId },
          });
          if (original === null) return null;
          return tx.webhookDelivery.create({
            data: {
              webhookId,
              messageId: original.messageId,
              eventType: original.eventType,
              deploymentId: original.deploymentId,
              payload: original.payload ?? {},
            },
            include: withAttempts,
          });
        },
        (copy) => (copy === null ? null : { app: null, createdId: copy.id }),
      );
    },
  };
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
