import { z } from 'zod';

export const auditEventSchema = z
  .object({
    id: z.string().describe('Increases with time'),
    occurredAt: z.iso.datetime(),
    actor: z.object({
      tokenId: z.uuid().nullable().describe('null for the bootstrap admin token'),
      name: z.string(),
    }),
    action: z.string().describe('e.g. env.set, deployment.trigger, token.create'),
    app: z.string().nullable().describe('The application as it was named at the time'),
    target: z
      .record(z.string(), z.string())
      .describe('Route parameters and the id of what was created'),
    details: z.record(z.string(), z.unknown()).describe('What was sent, secret values removed'),
    address: z.string().describe('Client address of the request'),
    requestId: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export type AuditEvent = z.infer<typeof auditEventSchema>;
