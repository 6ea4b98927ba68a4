import { describe, expect, test } from 'vitest';
import { hashToken, issueToken } from '../../src/domain/access-token.js';
import type { Principal } from '../../src/domain/authorization.js';
import { createAccessService } from '../../src/services/access-service.js';
import type { StoredToken, TokenRepository } from '../../src/services/security-ports.js';
import { createTokenCache, tokenCacheTtlMs } from '../../src/services/token-cache.js';

const principal: Principal = { scope: 'admin', tokenId: 't1', name: 'ops' };

describe('token cache', () => {
  test('an entry is served until its TTL (at most 0.5 s) has passed, then forgotten', () => {
    let now = 1_000;
    const cache = createTokenCache(() => now);
    cache.set('h', principal);
    now += tokenCacheTtlMs - 1;
    expect(cache.get('h')).toBe(principal);
    now += 1;
    expect(cache.get('h')).toBeNull();
    expect(tokenCacheTtlMs).toBeLessThanOrEqual(500);
  });

  test('clear() forgets every entry at once', () => {
    const cache = createTokenCache(() => 0);
    cache.set('h', principal);
    cache.clear();
    expect(cache.get('h')).toBeNull();
  });
});

/** A token repository that counts what the access service asks of it. */
function countingTokens(stored: StoredToken) {
  const calls = { findByHash: 0, touches: [] as { at: Date; unlessSince: Date }[] };
  const tokens: TokenRepository = {
    create: () => Promise.reject(new Error('not used')),
    list: () => Promise.resolve([]),
    findByHash: (hash) => {
      calls.findByHash += 1;
      return Promise.resolve(hash === stored.id ? stored : null);
    },
    touch: (_id, at, unlessSince) => {
      calls.touches.push({ at, unlessSince });
      return Promise.resolve();
    },
    delete: () => Promise.resolve(true),
  };
  return { tokens, calls };
}

describe('access service with the cache', () => {
  const issued = issueToken();
  const stored: StoredToken = {
    // The fake finds the token by this "hash".
    id: hashToken(issued.token),
    name: 'ci',
    scope: 'deploy',
    prefix: issued.displayPrefix,
    createdAt: new Date(0),
    lastUsedAt: null,
    apps: [{ id: 'app-1', name: 'shop' }],
  };

  function service(clock: { now: number }) {
    const { tokens, calls } = countingTokens(stored);
    const access = createAccessService({
      adminToken: 'bootstrap-admin-token-for-this-unit-test',
      tokens,
      access: {
        applicationIdsByName: () => Promise.resolve(new Map()),
        applicationOfDeployment: () => Promise.resolve(null),
      },
      findApp: () => Promise.resolve(null),
      now: () => new Date(clock.now),
    });
    return { access, calls };
  }

  test('one look-up per TTL, and lastUsedAt written once a minute with the check in the write', async () => {
    const clock = { now: 10_000_000 };
    const { access, calls } = service(clock);
    for (let index = 0; index < 5; index++) {
      expect(await access.authenticate(issued.token)).toMatchObject({ tokenId: stored.id });
    }
    expect(calls.findByHash).toBe(1);
    expect(calls.touches).toHaveLength(1);
    expect(calls.touches[0]?.unlessSince.getTime()).toBe(clock.now - 60_000);
    clock.now += tokenCacheTtlMs;
    await access.authenticate(issued.token);
    expect(calls.findByHash).toBe(2);
    clock.now += 59_000;
    await access.authenticate(issued.token);
    expect(calls.touches).toHaveLength(1);
    clock.now += 1_000;
    await access.authenticate(issued.token);
    expect(calls.touches).toHaveLength(2);
  });

  test('forgetCachedTokens makes the next request look the token up again', async () => {
    const { access, calls } = service({ now: 0 });
    await access.authenticate(issued.token);
    access.forgetCachedTokens();
    await access.authenticate(issued.token);
    expect(calls.findByHash).toBe(2);
  });

  test('control: an unknown token is never cached, so it is looked up every time', async () => {
    const { access, calls } = service({ now: 0 });
    const other = issueToken().token;
    expect(await access.authenticate(other)).toBeNull();
    expect(await access.authenticate(other)).toBeNull();
    expect(calls.findByHash).toBe(2);
  });
});
