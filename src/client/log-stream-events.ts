import { z } from 'zod';
import { deploymentStatuses, deploymentStepSchema } from '../schemas/deployment.js';
import type { components } from './generated/schema.js';

type Schemas = components['schemas'];

/**
 * The events of GET /v1/deployments/{id}/log as text/event-stream (sent by
 * src/http/log-stream-events.ts). The document types the stream only as text, so the data of
 * each event is checked here with the API's own schemas.
 */
export type LogStreamEvent =
  | { type: 'log'; id: string; stepId: string | null; text: string }
  | { type: 'step'; step: Schemas['DeploymentStep'] }
  | LogStreamEnd;

export interface LogStreamEnd {
  type: 'end';
  status: Schemas['Deployment']['status'];
  failureReason: string | null;
}

const logData = z.object({ stepId: z.string().nullable(), text: z.string() });
const endData = z.object({
  status: z.enum(deploymentStatuses),
  failureReason: z.string().nullable(),
});

/** One parsed SSE message as an event; null for event types this client does not know. */
export function toLogStreamEvent(message: {
  event?: string | undefined;
  id?: string | undefined;
  data: string;
}): LogStreamEvent | null {
  const data: unknown = JSON.parse(message.data);
  switch (message.event) {
    case 'log':
      return { type: 'log', id: message.id ?? '', ...logData.parse(data) };
    case 'step':
      return { type: 'step', step: deploymentStepSchema.parse(data) };
    case 'end':
      return { type: 'end', ...endData.parse(data) };
    default:
      return null;
  }
}
