import { parseInt64 } from '../domain/int64.js';
import { z } from 'zod';
import { stepKinds, type StepKind } from '../domain/step-kinds.js';
import { isValidImageReference, maxImageReferenceLength } from '../domain/image-reference.js';
import { maxPreferWaitSeconds, preferredWaitSeconds } from '../domain/prefer-wait.js';
import { resourceDefaults } from '../domain/resource-limits.js';
import {
  resourceSettingsSchema,
  startupProbeSettingsSchema,
  webContainerDefaults,
  webContainerFields,
} from './settings.js';

export const deploymentStatuses = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export const deploymentKinds = ['deploy', 'rollback'] as const;
export const stepStatuses = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;

export { stepKinds, type StepKind };
export type DeploymentStatus = (typeof deploymentStatuses)[number];
export type StepStatus = (typeof stepStatuses)[number];

export const imageReferenceSchema = z
  .string()
  .min(1)
  .max(maxImageReferenceLength)
  .refine(isValidImageReference, {
    error:
      'must be an image reference like registry.example.com/team/app:1.2 or repo@sha256:<64 hex>',
  })
  .describe('Image reference: [registry/]repository[:tag][@sha256:digest]');

export const idempotencyHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('Retries with the same key and body within 24 h return the original deployment'),
});

export const triggerHeadersSchema = idempotencyHeadersSchema.extend({
  prefer: z
    .string()
    .max(1024)
    .refine((value) => preferredWaitSeconds(value) !== 'invalid', {
      error: `wait must be whole seconds from 0 to ${maxPreferWaitSeconds}`,
    })
    .optional()
    .describe(
      `RFC 7240. \`wait=N\` (N ≤ ${maxPreferWaitSeconds}): answer once the deployment finished (200) or after N seconds (202), with \`Preference-Applied: wait=N\``,
    ),
});

export const logStreamHeadersSchema = z.object({
  accept: z.string().optional(),
  'last-event-id': z
    .string()
    .regex(/^\d{1,19}$/, 'must be the id of a log event received earlier')
    .refine((value) => parseInt64(value) !== null, 'must be at most 9223372036854775807')
    .optional()
    .describe('Resume a stream after this event'),
});

export const triggerDeploymentSchema = z
  .object({ image: imageReferenceSchema })
  .strict()
  .meta({ id: 'TriggerDeployment' });

export const rollbackRequestSchema = z
  .object({
    to: z
      .uuid()
      .optional()
      .describe(
        'The deployment whose release to bring back; by default the newest succeeded deployment before the live release',
      ),
    runReleaseCommands: z
      .boolean()
      .optional()
      .describe(
        "Run the target's release commands again (default false: a rollback never reverses migrations)",
      ),
  })
  .strict()
  .meta({ id: 'RollbackRequest' });

/** What a deployment runs with: the app's settings frozen at trigger time (stored as JSON). */
export const deploymentSettingsSnapshotSchema = z.object({
  // Deployments triggered before a field existed run with its default.
  webContainer: z.object({
    port: webContainerFields.port,
    replicas: webContainerFields.replicas.default(webContainerDefaults.replicas),
    drainTimeoutSeconds: webContainerFields.drainTimeoutSeconds.default(
      webContainerDefaults.drainTimeoutSeconds,
    ),
    stopTimeoutSeconds: webContainerFields.stopTimeoutSeconds.default(
      webContainerDefaults.stopTimeoutSeconds,
    ),
    retainReleases: webContainerFields.retainReleases.default(webContainerDefaults.retainReleases),
  }),
  startupProbe: startupProbeSettingsSchema,
  // Deployments triggered before resource limits existed run with the defaults.
  resources: resourceSettingsSchema.default(resourceDefaults),
  releaseCommands: z.array(
    z.object({
      label: z.string(),
      command: z.string(),
      timeoutSeconds: z.number().int(),
    }),
  ),
});

export const deploymentStepSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(stepKinds),
    label: z.string(),
    position: z.number().int(),
    source: z.enum(['image', 'app']).nullable().describe('Where a release command came from'),
    status: z.enum(stepStatuses),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    durationMs: z.number().int().nullable(),
    exitCode: z.number().int().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'DeploymentStep' });

export const deploymentSchema = z
  .object({
    id: z.uuid(),
    app: z.string(),
    kind: z
      .enum(deploymentKinds)
      .describe('deploy: an image from a registry; rollback: an earlier release brought back'),
    rollbackOf: z
      .uuid()
      .nullable()
      .describe('For a rollback: the deployment whose release it brings back'),
    image: z.string(),
    status: z.enum(deploymentStatuses),
    imageId: z.string().nullable(),
    failureReason: z.string().nullable(),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    steps: z.array(deploymentStepSchema),
  })
  .meta({ id: 'Deployment' });

export const deploymentSummarySchema = deploymentSchema
  .omit({ steps: true })
  .meta({ id: 'DeploymentSummary' });

export const releaseSchema = z
  .object({
    app: z.string(),
    deploymentId: z.uuid(),
    image: z.string(),
    imageId: z.string(),
    workload: z
      .object({
        engine: z.string().describe('The engine that runs the release, e.g. "docker"'),
        ref: z
          .string()
          .describe(
            "The engine's reference to the release's web workloads, one string for all replicas (for Docker: the container id when there is one replica, else web-set:<deploymentId>:<replicas>)",
          ),
      })
      .describe('What runs the release'),
    endpoint: z
      .string()
      .describe('Where Slipway reaches the release over HTTP (with several replicas: replica 1)'),
    endpoints: z
      .array(z.string())
      .describe('Where Slipway reaches each replica over HTTP, replica 1 first'),
    replicas: z.number().int().describe('Web containers serving the release'),
    webPort: z.number().int().describe('Port the web process listens on inside its workload'),
    containerId: z
      .string()
      .meta({ deprecated: true })
      .describe(
        'Deprecated: use workload.ref (the Docker container id of a release with one replica)',
      ),
    containerPort: z.number().int().meta({ deprecated: true }).describe('Deprecated: use webPort'),
    hostPort: z
      .number()
      .int()
      .meta({ deprecated: true })
      .describe('Deprecated: use endpoint (the port on 127.0.0.1 where the release is published)'),
    activatedAt: z.iso.datetime(),
    health: z
      .enum(['running', 'exited', 'missing'])
      .describe(
        'What the worker last saw of the release: running; exited (stopped outside Slipway, being started again); missing (removed outside Slipway: nothing serves the app until the next deployment)',
      ),
    healthCheckedAt: z.iso.datetime().nullable().describe('When the health was last checked'),
  })
  .meta({ id: 'Release' });

export const deploymentParamsSchema = z.object({ id: z.uuid() });

export type TriggerDeployment = z.infer<typeof triggerDeploymentSchema>;
export type RollbackRequest = z.infer<typeof rollbackRequestSchema>;
export type DeploymentSettingsSnapshot = z.infer<typeof deploymentSettingsSnapshotSchema>;
export type DeploymentStep = z.infer<typeof deploymentStepSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentSummary = z.infer<typeof deploymentSummarySchema>;
export type Release = z.infer<typeof releaseSchema>;
