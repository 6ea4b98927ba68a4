import { createAccessRepository } from '../db/access-repository.js';
import { createAuditRepository } from '../db/audit-repository.js';
import { createEnvVarRepository } from '../db/env-var-repository.js';
import type { Database } from '../db/prisma-client.js';
import { createRegistryCredentialRepository } from '../db/registry-credential-repository.js';
import { createTokenRepository } from '../db/token-repository.js';
import { createAccessService } from '../services/access-service.js';
import type { ApplicationService } from '../services/application-service.js';
import { createAuditService } from '../services/audit-service.js';
import { createEnvService } from '../services/env-service.js';
import { createRegistryCredentialService } from '../services/registry-credential-service.js';
import { createTokenService } from '../services/token-service.js';

export interface SecuritySettings {
  /** SLIPWAY_ADMIN_TOKEN. */
  adminToken: string;
  /** SLIPWAY_SECRET_KEY, 32 bytes. */
  secretKey: Buffer;
}

/** Tokens, env vars, registry credentials and the audit log, wired to PostgreSQL. */
export function composeSecurityServices(
  db: Database,
  applications: Pick<ApplicationService, 'requireApp' | 'findApp'>,
  settings: SecuritySettings,
) {
  const tokenRepository = createTokenRepository(db);
  const accessRepository = createAccessRepository(db);
  const envVars = createEnvVarRepository(db);
  const access = createAccessService({
    adminToken: settings.adminToken,
    tokens: tokenRepository,
    access: accessRepository,
    findApp: applications.findApp,
  });
  return {
    access,
    tokens: createTokenService({
      tokens: tokenRepository,
      access: accessRepository,
      onRevoked: access.forgetCachedTokens,
    }),
    env: createEnvService({ applications, envVars, secretKey: settings.secretKey }),
    registryCredentials: createRegistryCredentialService({
      applications,
      credentials: createRegistryCredentialRepository(db),
      secretKey: settings.secretKey,
    }),
    audit: createAuditService({ applications, audit: createAuditRepository(db) }),
    /** For the deployment service, which snapshots an app's variables at trigger time. */
    envVars,
  };
}

export type SecurityServices = ReturnType<typeof composeSecurityServices>;
