import { AppError } from '../domain/errors.js';
import { envVarContext, seal } from '../domain/secret-box.js';
import { maxEnvVarsPerApp, type EnvVar, type SetEnvVar } from '../schemas/env-var.js';
import type { ApplicationService } from './application-service.js';
import type { EnvVarRepository, StoredEnvVar } from './security-ports.js';

/** Secret values never leave the server: they are shown as null. */
function toView(envVar: StoredEnvVar): EnvVar {
  return {
    name: envVar.name,
    value: envVar.secret ? null : envVar.value,
    secret: envVar.secret,
    createdAt: envVar.createdAt.toISOString(),
    updatedAt: envVar.updatedAt.toISOString(),
  };
}

export function createEnvService(deps: {
  applications: Pick<ApplicationService, 'requireApp'>;
  envVars: EnvVarRepository;
  secretKey: Buffer;
}) {
  const { applications, envVars } = deps;

  return {
    async list(app: string): Promise<{ items: EnvVar[] }> {
      const owner = await applications.requireApp(app);
      return { items: (await envVars.list(owner.id)).map(toView) };
    },

    /** Creates or replaces; secrets are sealed here, so only ciphertext reaches the database. */
    async set(
      app: string,
      name: string,
      input: SetEnvVar,
    ): Promise<{ envVar: EnvVar; created: boolean }> {
      const owner = await applications.requireApp(app);
      const value = input.secret
        ? {
            secret: true as const,
            sealedValue: seal(deps.secretKey, input.value, envVarContext(owner.id, name)),
          }
        : { secret: false as const, value: input.value };
      const result = await envVars.put(owner.id, name, value, (count) => {
        if (count >= maxEnvVarsPerApp) {
          throw new AppError(
            'SETTINGS_CONFLICT',
            `an application can have at most ${maxEnvVarsPerApp} environment variables`,
          );
        }
      });
      return { envVar: toView(result.envVar), created: result.created };
    },

    async remove(app: string, name: string): Promise<void> {
      const owner = await applications.requireApp(app);
      if (!(await envVars.delete(owner.id, name))) {
        throw new AppError('ENV_VAR_NOT_FOUND', `application "${app}" has no variable ${name}`);
      }
    },
  };
}

export type EnvService = ReturnType<typeof createEnvService>;
