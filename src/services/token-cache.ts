import type { Principal } from '../domain/authorization.js';

/**
 * How long a token look-up is trusted. A token revoked through another API process keeps working
 * there for at most this long (the process that revoked it forgets at once): well inside the
 * 1 s within which every process must see a revocation, and long enough that a busy token costs
 * one database read per half second rather than one per request.
 */
export const tokenCacheTtlMs = 500;

/** More distinct tokens than this within a TTL is not a workload to optimise for. */
const maxEntries = 1000;

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Recognised tokens by hash, for tokenCacheTtlMs. Unknown tokens are never cached, so a token
 * issued through any process works everywhere at once.
 */
export function createTokenCache(now: () => number = () => Date.now()) {
  const entries = new Map<string, Entry>();

  return {
    get(hash: string): Principal | null {
      const entry = entries.get(hash);
      if (entry === undefined) return null;
      if (entry.expiresAt <= now()) {
        entries.delete(hash);
        return null;
      }
      return entry.principal;
    },

    set(hash: string, principal: Principal): void {
      // Map order is insertion order: the first key is the oldest entry.
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      entries.delete(hash);
      entries.set(hash, { principal, expiresAt: now() + tokenCacheTtlMs });
    },

    /** After a revocation in this process: it takes effect here at once. */
    clear(): void {
      entries.clear();
    },
  };
}

export type TokenCache = ReturnType<typeof createTokenCache>;
