import { AppError } from '../domain/errors.js';
import { registryPasswordContext, seal } from '../domain/secret-box.js';
import type {
  RegistryCredentialsView,
  SetRegistryCredentials,
} from '../schemas/registry-credentials.js';
import type { ApplicationService } from './application-service.js';
import type { RegistryCredentialRepository, StoredRegistryCredentials } from './security-ports.js';

function toView(stored: StoredRegistryCredentials): RegistryCredentialsView {
  return {
    server: stored.server,
    username: stored.username,
    passwordSet: true,
    updatedAt: stored.updatedAt.toISOString(),
  };
}

/** One set of registry credentials per app; the password is sealed and never returned. */
export function createRegistryCredentialService(deps: {
  applications: Pick<ApplicationService, 'requireApp'>;
  credentials: RegistryCredentialRepository;
  secretKey: Buffer;
}) {
  const { applications, credentials } = deps;

  return {
    async get(app: string): Promise<RegistryCredentialsView> {
      const owner = await applications.requireApp(app);
      const stored = await credentials.find(owner.id);
      if (stored === null) {
        throw new AppError(
          'REGISTRY_CREDENTIALS_NOT_FOUND',
          `application "${app}" has no registry credentials`,
        );
      }
      return toView(stored);
    },

    async set(app: string, input: SetRegistryCredentials): Promise<RegistryCredentialsView> {
      const owner = await applications.requireApp(app);
      const stored = await credentials.put(owner.id, {
        server: input.server,
        username: input.username,
        sealedPassword: seal(deps.secretKey, input.password, registryPasswordContext(owner.id)),
      });
      return toView(stored);
    },

    async remove(app: string): Promise<void> {
      const owner = await applications.requireApp(app);
      if (!(await credentials.delete(owner.id))) {
        throw new AppError(
          'REGISTRY_CREDENTIALS_NOT_FOUND',
          `application "${app}" has no registry credentials`,
        );
      }
    },
  };
}

export type RegistryCredentialService = ReturnType<typeof createRegistryCredentialService>;
