import { issueToken } from '../domain/access-token.js';
import { AppError } from '../domain/errors.js';
import type { CreatedToken, CreateToken, Token } from '../schemas/token.js';
import type { AccessRepository, StoredToken, TokenRepository } from './security-ports.js';

export function toTokenView(token: StoredToken): Token {
  return {
    id: token.id,
    name: token.name,
    scope: token.scope,
    apps: token.apps.map((app) => app.name),
    prefix: token.prefix,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  };
}

/** Issuing, listing and revoking API tokens. The secret exists only in the create response. */
export function createTokenService(deps: {
  tokens: TokenRepository;
  access: AccessRepository;
  /** Told after a revocation, so this process's cache of token look-ups forgets at once. */
  onRevoked?: () => void;
}) {
  const { tokens, access } = deps;

  return {
    async create(input: CreateToken): Promise<CreatedToken> {
      const names = input.scope === 'deploy' ? [...new Set(input.apps)] : [];
      const ids = await access.applicationIdsByName(names);
      const unknown = names.filter((name) => !ids.has(name));
      if (unknown.length > 0) {
        throw new AppError(
          'APP_NOT_FOUND',
          `no application named ${unknown.map((name) => `"${name}"`).join(', ')}`,
          { issues: [{ path: '/apps', message: `unknown: ${unknown.join(', ')}` }] },
        );
      }
      const issued = issueToken();
      const stored = await tokens.create({
        name: input.name,
        scope: input.scope,
        hash: issued.hash,
        displayPrefix: issued.displayPrefix,
        applicationIds: [...ids.values()],
      });
      return { ...toTokenView(stored), token: issued.token };
    },

    async list(): Promise<{ items: Token[] }> {
      return { items: (await tokens.list()).map(toTokenView) };
    },

    /**
     * Takes effect at once in this process, and within tokenCacheTtlMs (0.5 s) in every other
     * API process, whose cached look-ups expire by then.
     */
    async revoke(id: string): Promise<void> {
      const deleted = await tokens.delete(id);
      deps.onRevoked?.();
      if (!deleted) throw new AppError('TOKEN_NOT_FOUND', `no token ${id}`);
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
