import { z } from 'zod';
import { resourceBounds } from '../domain/resource-limits.js';
import { releaseCommandSchema } from './release-command.js';

export const probeDefaults = {
  startupTimeoutSeconds: 60,
  probeTimeoutSeconds: 10,
  maxRetries: 300,
  intervalMs: 200,
  path: '/',
} as const;

export const portSchema = z.number().int().min(1).max(65535);

export const webContainerDefaults = {
  replicas: 1,
  drainTimeoutSeconds: 30,
  stopTimeoutSeconds: 10,
  retainReleases: 2,
} as const;

/** Most web containers (replicas) a release may have; the ingress sizes its backends by it. */
export const MAX_REPLICAS = 20;

/** Each field once; the settings, their patch and the deployment snapshot are built from these. */
export const webContainerFields = {
  port: portSchema
    .nullable()
    .describe('Port the web container listens on; null takes it from the image EXPOSE'),
  replicas: z
    .number()
    .int()
    .min(1)
    .max(MAX_REPLICAS)
    .describe('Web containers of each release; all are started and probed, then switched at once'),
  drainTimeoutSeconds: z
    .number()
    .int()
    .min(0)
    .max(3600)
    .describe(
      'After the switch, how long the previous release may finish its in-flight requests before it is stopped',
    ),
  stopTimeoutSeconds: z
    .number()
    .int()
    .min(0)
    .max(3600)
    .describe('Time between SIGTERM and SIGKILL when a web container is stopped'),
  retainReleases: z
    .number()
    .int()
    .min(0)
    .max(10)
    .describe(
      'Previous releases whose web containers are kept stopped (not removed), so a rollback to them needs no pull and no new container',
    ),
};

export const webContainerSettingsSchema = z
  .object(webContainerFields)
  .meta({ id: 'WebContainerSettings' });

export const webContainerPatchSchema = webContainerSettingsSchema
  .partial()
  .strict()
  .meta({ id: 'WebContainerSettingsPatch' });

const probePathSchema = z
  .string()
  .min(1)
  .max(2048)
  .regex(/^\/(?![/\\])/, 'must start with a single "/" (a path, no scheme or host)')
  .regex(/^[^\\]*$/, 'must not contain "\\" (URL parsers read it as "/")')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (percent-encode the rest)')
  .describe('Request path of the probe, e.g. /healthz');

export const startupProbeSettingsSchema = z
  .object({
    startupTimeoutSeconds: z.number().int().min(1).max(3600),
    probeTimeoutSeconds: z.number().int().min(1).max(300),
    maxRetries: z.number().int().min(1).max(100000),
    intervalMs: z.number().int().min(50).max(60000),
    path: probePathSchema,
  })
  .meta({ id: 'StartupProbeSettings' });

export const startupProbePatchSchema = startupProbeSettingsSchema
  .partial()
  .strict()
  .meta({ id: 'StartupProbeSettingsPatch' });

const { memoryMiB, cpus, pids } = resourceBounds;

export const resourceSettingsSchema = z
  .object({
    memoryMiB: z
      .number()
      .int()
      .min(memoryMiB.min)
      .max(memoryMiB.max)
      .describe('Memory limit in MiB (no swap beyond it); the OOM killer ends what exceeds it'),
    cpus: z
      .number()
      .min(cpus.min)
      .max(cpus.max)
      // Not `multipleOf(0.01)`: JSON Schema validators check that in binary floating point,
      // where e.g. 35.01 is not a multiple of 0.01, so clients would reject valid responses.
      .refine((value) => Math.abs(Math.round(value * 100) - value * 100) < 1e-6, {
        error: 'must have at most two decimals (steps of 0.01)',
      })
      .describe('CPU limit in CPUs, in steps of 0.01, e.g. 0.5; at most what the Docker host has'),
    pids: z
      .number()
      .int()
      .min(pids.min)
      .max(pids.max)
      .describe('Maximum number of processes and threads in the container'),
  })
  .describe('Limits of each release-command and web container of the app')
  .meta({ id: 'ResourceSettings' });

export const resourcePatchSchema = resourceSettingsSchema
  .partial()
  .strict()
  .meta({ id: 'ResourceSettingsPatch' });

export const appSettingsSchema = z
  .object({
    webContainer: webContainerSettingsSchema,
    startupProbe: startupProbeSettingsSchema,
    resources: resourceSettingsSchema,
    releaseCommands: z.array(releaseCommandSchema),
  })
  .meta({ id: 'AppSettings' });

export type WebContainerSettings = z.infer<typeof webContainerSettingsSchema>;
export type WebContainerPatch = z.infer<typeof webContainerPatchSchema>;
export type StartupProbeSettings = z.infer<typeof startupProbeSettingsSchema>;
export type StartupProbePatch = z.infer<typeof startupProbePatchSchema>;
export type ResourceSettings = z.infer<typeof resourceSettingsSchema>;
export type ResourcePatch = z.infer<typeof resourcePatchSchema>;
export type AppSettings = z.infer<typeof appSettingsSchema>;
