import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { appParamsSchema } from '../../schemas/application.js';
import {
  appSettingsSchema,
  resourcePatchSchema,
  resourceSettingsSchema,
  startupProbePatchSchema,
  startupProbeSettingsSchema,
  webContainerPatchSchema,
  webContainerSettingsSchema,
} from '../../schemas/settings.js';
import type { ApplicationService } from '../../services/application-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['settings'];

export const settingsRoutes: FastifyPluginAsyncZod<{ applications: ApplicationService }> = async (
  app,
  { applications },
) => {
  app.get(
    '/apps/:app/settings',
    {
      schema: {
        tags,
        summary: 'All deploy settings of an application, defaults filled in',
        params: appParamsSchema,
        response: { 200: appSettingsSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => applications.getSettings(request.params.app),
  );

  app.patch(
    '/apps/:app/settings/web-container',
    {
      schema: {
        tags,
        summary: 'Change the web container settings (partial update)',
        params: appParamsSchema,
        body: webContainerPatchSchema,
        response: { 200: webContainerSettingsSchema, ...problemResponses(400, 404, 413, 415) },
      },
    },
    (request) => applications.patchWebContainer(request.params.app, request.body),
  );

  app.patch(
    '/apps/:app/settings/startup-probe',
    {
      schema: {
        tags,
        summary: 'Change the startup probe settings (partial update)',
        description:
          'Fields left out keep their stored values. probeTimeoutSeconds may not exceed startupTimeoutSeconds; this is checked on the merged result (422).',
        params: appParamsSchema,
        body: startupProbePatchSchema,
        response: { 200: startupProbeSettingsSchema, ...problemResponses(400, 404, 413, 415, 422) },
      },
    },
    (request) => applications.patchStartupProbe(request.params.app, request.body),
  );

  app.patch(
    '/apps/:app/settings/resources',
    {
      schema: {
        tags,
        summary:
          'Change the resource limits of release-command and web containers (partial update)',
        description:
          'Fields left out keep their stored values. Applies to deployments triggered afterwards; defaults: memoryMiB 512, cpus 1, pids 512.',
        params: appParamsSchema,
        body: resourcePatchSchema,
        response: { 200: resourceSettingsSchema, ...problemResponses(400, 404, 413, 415) },
      },
    },
    (request) => applications.patchResources(request.params.app, request.body),
  );
};
