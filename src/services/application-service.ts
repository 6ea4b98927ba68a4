import { decodeCursor, pageOf, type Page } from '../domain/cursor.js';
import { AppError } from '../domain/errors.js';
import { startupProbeConflicts } from '../domain/startup-probe.js';
import type { Application, CreateApplication, UpdateApplication } from '../schemas/application.js';
import type {
  AppSettings,
  ResourcePatch,
  ResourceSettings,
  StartupProbePatch,
  StartupProbeSettings,
  WebContainerPatch,
  WebContainerSettings,
} from '../schemas/settings.js';
import type {
  ApplicationRecord,
  ApplicationRepository,
  ReleaseCommandRepository,
} from './ports.js';
import { appOfRequest } from './request-apps.js';

export function appNotFound(name: string): AppError {
  return new AppError('APP_NOT_FOUND', `no application named "${name}"`);
}

export function createApplicationService(deps: {
  applications: ApplicationRepository;
  releaseCommands: ReleaseCommandRepository;
}) {
  const { applications, releaseCommands } = deps;

  /** Read once per API request, however many parts of it ask (see request-apps.ts). */
  function findApp(name: string): Promise<ApplicationRecord | null> {
    return appOfRequest(name, (wanted) => applications.findByName(wanted));
  }

  async function requireApp(name: string): Promise<ApplicationRecord> {
    const app = await findApp(name);
    if (app === null) throw appNotFound(name);
    return app;
  }

  async function updateSettingsOrThrow(
    name: string,
    change: Parameters<ApplicationRepository['updateSettings']>[1],
  ): Promise<ApplicationRecord> {
    const updated = await applications.updateSettings(name, change);
    if (updated === null) throw appNotFound(name);
    return updated;
  }

  /** The settings of an application already read (saves reading it again). */
  async function settingsOf(app: ApplicationRecord): Promise<AppSettings> {
    return {
      webContainer: app.webContainer,
      startupProbe: app.startupProbe,
      resources: app.resources,
      releaseCommands: await releaseCommands.list(app.id),
    };
  }

  return {
    findApp,
    requireApp,

    create(input: CreateApplication): Promise<Application> {
      return applications.create(input);
    },

    async list(query: { limit: number; cursor?: string | undefined }): Promise<Page<Application>> {
      const afterName = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const rows = await applications.list({ limit: query.limit + 1, afterName });
      return pageOf(
        rows,
        query.limit,
        (app) => app.name,
        (app) => app,
      );
    },

    async get(name: string): Promise<Application> {
      const {
        webContainer: _web,
        startupProbe: _probe,
        resources: _resources,
        ...app
      } = await requireApp(name);
      return app;
    },

    async update(name: string, patch: UpdateApplication): Promise<Application> {
      const updated = await applications.update(name, patch);
      if (updated === null) throw appNotFound(name);
      return updated;
    },

    /** The live container, if any, is removed by the worker's reconciler as an orphan. */
    async remove(name: string): Promise<void> {
      const result = await applications.delete(name);
      if (result === 'missing') throw appNotFound(name);
      if (result === 'busy') {
        throw new AppError(
          'APP_BUSY',
          `application "${name}" has a deployment queued or running; cancel it or wait for it to finish`,
        );
      }
    },

    getSettings: async (name: string): Promise<AppSettings> => settingsOf(await requireApp(name)),

    settingsOf,

    async patchWebContainer(name: string, patch: WebContainerPatch): Promise<WebContainerSettings> {
      const updated = await updateSettingsOrThrow(name, (current) => ({
        webContainer: { ...current.webContainer, ...patch },
      }));
      return updated.webContainer;
    },

    async patchStartupProbe(name: string, patch: StartupProbePatch): Promise<StartupProbeSettings> {
      const updated = await updateSettingsOrThrow(name, (current) => {
        const merged = { ...current.startupProbe, ...patch };
        const issues = startupProbeConflicts(merged);
        if (issues.length > 0) {
          throw new AppError(
            'SETTINGS_CONFLICT',
            `startup probe settings are inconsistent: ${issues.map((i) => i.message).join('; ')}`,
            { issues },
          );
        }
        return { startupProbe: merged };
      });
      return updated.startupProbe;
    },

    async patchResources(name: string, patch: ResourcePatch): Promise<ResourceSettings> {
      const updated = await updateSettingsOrThrow(name, (current) => ({
        resources: { ...current.resources, ...patch },
      }));
      return updated.resources;
    },
  };
}

export type ApplicationService = ReturnType<typeof createApplicationService>;
