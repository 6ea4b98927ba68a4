import { hashToken, looksLikeIssuedToken, tokensEqual } from '../domain/access-token.js';
import { bootstrapAdminName, type Principal } from '../domain/authorization.js';
import type { AccessRepository, TokenRepository } from './security-ports.js';
import { createTokenCache, type TokenCache } from './token-cache.js';

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
  /** The app of a request by name; shared with the services (one read per request). */
  findApp: (name: string) => Promise<AppRef | null>;
  now?: () => Date;
  cache?: TokenCache;
}) {
  const { tokens, access } = deps;
  const now = deps.now ?? (() => new Date());
  const cache = deps.cache ?? createTokenCache(() => now().getTime());
  /** When this process last wrote (or saw) each token's lastUsedAt, in ms. */
  const touchedAt = new Map<string, number>();

  /**
   * At most one write per token and minute from this process, and none at all while the stored
   * value is recent: the UPDATE itself checks, so no read is needed (see TokenRepository.touch).
   */
  async function touchIfDue(tokenId: string, at: Date): Promise<void> {
    const last = touchedAt.get(tokenId);
    if (last !== undefined && at.getTime() - last < touchIntervalMs) return;
    touchedAt.set(tokenId, at.getTime());
    await tokens.touch(tokenId, at, new Date(at.getTime() - touchIntervalMs));
  }

  async function lookUp(hash: string): Promise<Principal | null> {
    const stored = await tokens.findByHash(hash);
    if (stored === null) return null;
    if (stored.lastUsedAt !== null && !touchedAt.has(stored.id)) {
      touchedAt.set(stored.id, stored.lastUsedAt.getTime());
    }
    return stored.scope === 'admin'
      ? { scope: 'admin', tokenId: stored.id, name: stored.name }
      : {
          scope: 'deploy',
          tokenId: stored.id,
          name: stored.name,
          applicationIds: new Set(stored.apps.map((app) => app.id)),
        };
  }

  return {
    /** The principal a token stands for, or null for an unknown or revoked token. */
    async authenticate(token: string): Promise<Principal | null> {
      // Always compared, whatever the token looks like, so timing says nothing about it.
      if (tokensEqual(token, deps.adminToken)) {
        return { scope: 'admin', tokenId: null, name: bootstrapAdminName };
      }
      if (!looksLikeIssuedToken(token)) return null;
      // Looked up by hash: what the database index compares is not the token itself.
      const hash = hashToken(token);
      let principal = cache.get(hash);
      if (principal === null) {
        principal = await lookUp(hash);
        if (principal === null) return null;
        cache.set(hash, principal);
      }
      if (principal.tokenId !== null) await touchIfDue(principal.tokenId, now());
      return principal;
    },

    /** A token was revoked by this process: no cached look-up may outlive that here. */
    forgetCachedTokens: (): void => {
      cache.clear();
    },

    applicationNamed(name: string): Promise<AppRef | null> {
      return deps.findApp(name);
    },

    applicationOfDeployment(deploymentId: string): Promise<AppRef | null> {
      return access.applicationOfDeployment(deploymentId);
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
