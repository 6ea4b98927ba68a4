/** What a webhook can be told about; an empty filter on a webhook means all of them. */
export const webhookEventTypes = [
  'deployment.queued',
  'deployment.started',
  'step.finished',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.cancelled',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/** Associated data of a webhook's signing secret when sealed (see secret-box.ts). */
export function webhookSecretContext(webhookId: string): string {
  return `${webhookId}\0webhook-secret`;
}

/**
 * Back-off between attempts: 5 s, 10 s, 20 s … doubling, at most 1 h apart (base configurable
 * for tests); a delivery is given up once 24 h passed since its event.
 */
export const webhookGiveUpAfterMs = 24 * 3600 * 1000;
const maxDelayMs = 3600 * 1000;

export function webhookRetryDelayMs(failedAttempts: number, baseMs: number): number {
  return Math.min(maxDelayMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}
