import { describe, expect, test } from 'vitest';
import {
  bearerToken,
  hashToken,
  issueToken,
  looksLikeIssuedToken,
  tokensEqual,
} from '../../src/domain/access-token.js';
import { auditDetails } from '../../src/domain/audit.js';
import { createAuthFailureLimiter } from '../../src/domain/auth-failure-limiter.js';
import {
  authorizeAdmin,
  authorizeAppAction,
  deployScopeActions,
  type Principal,
} from '../../src/domain/authorization.js';
import { AppError } from '../../src/domain/errors.js';
import { credentialsApplyTo, normalizeRegistryServer } from '../../src/domain/registry-server.js';

describe('tokens', () => {
  test('issued tokens are slw_ + 43 base64url characters, unique, with a short display prefix', () => {
    const first = issueToken();
    const second = issueToken();
    expect(first.token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(first.token).not.toBe(second.token);
    expect(looksLikeIssuedToken(first.token)).toBe(true);
    expect(first.displayPrefix).toBe(first.token.slice(0, 8));
    expect(first.hash).toBe(hashToken(first.token));
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('only the exact token compares equal, whatever the lengths', () => {
    expect(tokensEqual('a'.repeat(40), 'a'.repeat(40))).toBe(true);
    expect(tokensEqual('a'.repeat(40), `${'a'.repeat(39)}b`)).toBe(false);
    expect(tokensEqual('a', 'a'.repeat(40))).toBe(false);
    expect(tokensEqual('', 'a'.repeat(40))).toBe(false);
  });

  test.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
    ['abc', null],
  ])('Authorization %j carries token %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  test('no header, no token', () => {
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe('failed authentication limiter', () => {
  test('blocks an address after the limit until its window ends; others are unaffected', () => {
    let now = 1_000_000;
    const limiter = createAuthFailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 2; i++) limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(60);
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0);
    now += 59_500;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(1);
    now += 500;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
  });

  test('memory stays bounded by dropping the oldest addresses', () => {
    const limiter = createAuthFailureLimiter({ maxFailures: 1, maxTrackedAddresses: 100 });
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`10.0.${Math.floor(i / 256)}.${i % 256}`);
    expect(limiter.retryAfterSeconds('10.0.3.231')).toBeGreaterThan(0);
    expect(limiter.retryAfterSeconds('10.0.0.0')).toBe(0);
  });
});

describe('authorization', () => {
  const admin: Principal = { scope: 'admin', tokenId: null, name: 'bootstrap admin' };
  const deploy: Principal = {
    scope: 'deploy',
    tokenId: 't',
    name: 'ci',
    applicationIds: new Set(['app-1']),
  };

  const forbidden = (run: () => void) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('FORBIDDEN');
      return;
    }
    throw new Error('expected FORBIDDEN');
  };

  test('admins may do anything', () => {
    authorizeAdmin(admin);
    authorizeAppAction(admin, 'change-env', null);
    authorizeAppAction(admin, 'change-credentials', 'app-2');
  });

  test('deploy tokens: only the deploy-scope actions, only on their apps', () => {
    forbidden(() => {
      authorizeAdmin(deploy);
    });
    for (const action of deployScopeActions) {
      authorizeAppAction(deploy, action, 'app-1');
      forbidden(() => {
        authorizeAppAction(deploy, action, 'app-2');
      });
      forbidden(() => {
        authorizeAppAction(deploy, action, null);
      });
    }
    for (const action of [
      'change-app',
      'change-settings',
      'change-env',
      'change-credentials',
      'read-audit',
    ] as const) {
      forbidden(() => {
        authorizeAppAction(deploy, action, 'app-1');
      });
    }
  });
});

describe('audit details never carry secret values', () => {
  test('a secret env var value is left out; a plain one is kept', () => {
    expect(auditDetails('env.set', { value: 'hunter22', secret: true })).toEqual({ secret: true });
    expect(auditDetails('env.set', { value: 'info', secret: false })).toEqual({
      secret: false,
      value: 'info',
    });
  });

  test('a registry password is left out', () => {
    expect(
      auditDetails('registry-credentials.set', {
        server: 'r.example',
        username: 'u',
        password: 'p',
      }),
    ).toEqual({ server: 'r.example', username: 'u' });
  });

  test('keys that look secret are dropped from any body; long strings are bounded', () => {
    const details = auditDetails('release-command.create', {
      label: 'migrate',
      command: 'x'.repeat(20_000),
      password: 'nope',
      token: 'nope',
      nested: { secret: 'nope', flag: true },
    });
    expect(JSON.stringify(details)).not.toContain('nope');
    expect(details.label).toBe('migrate');
    expect(String(details.command).length).toBeLessThan(10_100);
    expect(auditDetails('deployment.cancel', undefined)).toEqual({});
  });
});

describe('registry credentials go only to their registry', () => {
  test.each([
    ['registry.example.com', 'registry.example.com/team/app:1', true],
    ['https://registry.example.com/v2/', 'registry.example.com/team/app:1', true],
    ['Registry.Example.com', 'registry.example.com/app', true],
    ['127.0.0.1:5001', '127.0.0.1:5001/slipway-test/web:v1', true],
    ['127.0.0.1:5001', '127.0.0.1:5000/slipway-test/web:v1', false],
    ['docker.io', 'nginx:1.27', true],
    ['https://index.docker.io/v1/', 'library/nginx', true],
    ['registry.example.com', 'nginx', false],
    ['docker.io', 'evil.example.com/docker.io/app', false],
  ])('%s for %s: %s', (server, image, applies) => {
    expect(credentialsApplyTo(server, image)).toBe(applies);
  });

  test('normalisation', () => {
    expect(normalizeRegistryServer('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeRegistryServer('HTTP://Host:5000/path')).toBe('host:5000');
  });
});
