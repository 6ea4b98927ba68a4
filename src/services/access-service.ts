import { hashToken, looksLikeIssuedToken, tokensEqual } from '../domain/access-token.js';
import { bootstrapAdminName, type Principal } from '../domain/authorization.js';
import type { AccessRepository, TokenRepository } from './security-ports.js';

/** lastUsedAt is kept to the minute, so a busy token does not cost a write per request. */
const touchIntervalMs = 60_000;

export interface AppRef {
  id: string;
  name: string;
}

/** Recognises bearer tokens and finds the application a request acts on. */
export function createAccessService(deps: {
  adminToken: string;
  tokens: TokenRepository;
  access: AccessRepository;
  now?: () => Date;
}) {
  const { tokens, access } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    /** The principal a token stands for, or null for an unknown or revoked token. */
    async authenticate(token: string): Promise<Principal | null> {
      // Always compared, whatever the token looks like, so timing says nothing about it.
      if (tokensEqual(token, deps.adminToken)) {
        return { scope: 'admin', tokenId: null, name: bootstrapAdminName };
      }
      if (!looksLikeIssuedToken(token)) return null;
      // Looked up by hash: what the database index compares is not the token itself.
      const stored = await tokens.findByHash(hashToken(token));
      if (stored === null) return null;
      const at = now();
      if (
        stored.lastUsedAt === null ||
        at.getTime() - stored.lastUsedAt.getTime() >= touchIntervalMs
      ) {
        await tokens.touch(stored.id, at);
      }
      return stored.scope === 'admin'
        ? { scope: 'admin', tokenId: stored.id, name: stored.name }
        : {
            scope: 'deploy',
            tokenId: stored.id,
            name: stored.name,
            applicationIds: new Set(stored.apps.map((app) => app.id)),
          };
    },

    applicationNamed(name: string): Promise<AppRef | null> {
      return access.applicationByName(name);
    },

    applicationOfDeployment(deploymentId: string): Promise<AppRef | null> {
      return access.applicationOfDeployment(deploymentId);
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
