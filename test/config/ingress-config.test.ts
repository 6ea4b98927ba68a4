import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/config.js';
import { ingressConfigOf } from '../../src/config/ingress-config.js';
import { loadWorkerConfig } from '../../src/config/worker-config.js';

const base = {
  DATABASE_URL: 'postgresql://slipway:secret@db.internal:5432/slipway',
  REDIS_URL: 'redis://redis.internal:6379',
  SLIPWAY_SECRET_KEY: '0123456789abcdef'.repeat(4),
};

const ingressOf = (env: NodeJS.ProcessEnv) =>
  ingressConfigOf(loadWorkerConfig({ ...base, ...env }));

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadWorkerConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('the worker ingress settings', () => {
  test('off by default, and when empty (as Compose writes an unset value)', () => {
    expect(ingressOf({})).toBeNull();
    expect(ingressOf({ SLIPWAY_INGRESS: '' })).toBeNull();
    expect(ingressOf({ SLIPWAY_INGRESS: 'off', SLIPWAY_INGRESS_HTTP_PORT: '8080' })).toBeNull();
  });

  test('supervise with the defaults: 0.0.0.0:80, files and sockets in the state dir', () => {
    expect(ingressOf({ SLIPWAY_INGRESS: 'supervise' })).toEqual({
      mode: 'supervise',
      bind: { address: '0.0.0.0', port: 80 },
      stateDir: '/var/lib/slipway/ingress',
      configFile: '/var/lib/slipway/ingress/haproxy.cfg',
      mapFile: '/var/lib/slipway/ingress/hosts.map',
      adminSocket: '/var/lib/slipway/ingress/admin.sock',
      masterSocket: '/var/lib/slipway/ingress/master.sock',
      binary: 'haproxy',
      connectTimeoutMs: 30_000,
      baseDomain: null,
    });
  });

  test('external with every setting given; SLIPWAY_BASE_DOMAIN is the API’s own setting', () => {
    expect(
      ingressOf({
        SLIPWAY_INGRESS: 'external',
        SLIPWAY_INGRESS_BIND: '::1',
        SLIPWAY_INGRESS_HTTP_PORT: '8080',
        SLIPWAY_INGRESS_STATE_DIR: '/srv/ingress',
        SLIPWAY_INGRESS_ADMIN_SOCKET: '/run/haproxy/admin.sock',
        SLIPWAY_INGRESS_MASTER_SOCKET: '/run/haproxy/master.sock',
        SLIPWAY_HAPROXY_BINARY: '/usr/local/sbin/haproxy',
        SLIPWAY_INGRESS_CONNECT_TIMEOUT_SECONDS: '5',
        SLIPWAY_BASE_DOMAIN: 'Apps.Example.com',
      }),
    ).toEqual({
      mode: 'external',
      bind: { address: '::1', port: 8080 },
      stateDir: '/srv/ingress',
      configFile: '/srv/ingress/haproxy.cfg',
      mapFile: '/srv/ingress/hosts.map',
      adminSocket: '/run/haproxy/admin.sock',
      masterSocket: '/run/haproxy/master.sock',
      binary: '/usr/local/sbin/haproxy',
      connectTimeoutMs: 5000,
      baseDomain: 'apps.example.com',
    });
  });

  test('bad values are reported all at once, by name', () => {
    const message = problems({
      SLIPWAY_INGRESS: 'on',
      SLIPWAY_INGRESS_BIND: 'localhost',
      SLIPWAY_INGRESS_HTTP_PORT: '70000',
      SLIPWAY_INGRESS_STATE_DIR: 'relative/dir',
      SLIPWAY_INGRESS_ADMIN_SOCKET: `/${'a'.repeat(120)}.sock`,
      SLIPWAY_INGRESS_MASTER_SOCKET: '/tmp/with space.sock',
    });
    expect(message).toContain('SLIPWAY_INGRESS: must be off, supervise or external');
    expect(message).toContain('SLIPWAY_INGRESS_BIND: must be an IP address');
    expect(message).toMatch(/SLIPWAY_INGRESS_HTTP_PORT: .*65535/);
    expect(message).toContain('SLIPWAY_INGRESS_STATE_DIR: must be an absolute path');
    expect(message).toContain('SLIPWAY_INGRESS_ADMIN_SOCKET: must be at most 100 bytes');
    expect(message).toContain('SLIPWAY_INGRESS_MASTER_SOCKET: must be a plain path');
  });
});
