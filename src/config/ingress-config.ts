/**
 * The worker's ingress settings (HAProxy): whether the worker runs it, talks to one running
 * elsewhere, or has none; where it listens; where its files and sockets are. Parsed with the rest
 * of the worker's configuration (worker-config.ts), then read as one IngressConfig.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

export const ingressModes = ['off', 'supervise', 'external'] as const;
export type IngressMode = (typeof ingressModes)[number];

// HAProxy reads these paths from its config and from sample-fetch arguments, where a quote or a
// space would not survive; and a Unix socket path must fit in sun_path (108 bytes).
const plainPath = z
  .string()
  .regex(/^[A-Za-z0-9._/-]+$/, 'must be a plain path (letters, digits, . _ / -)')
  .refine(isAbsolute, 'must be an absolute path');
const socketPath = plainPath.refine(
  (path) => Buffer.byteLength(path) <= 100,
  'must be at most 100 bytes (a Unix socket path)',
);
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

export const ingressSettingsSchema = {
  /** off: no ingress (router null); supervise: the worker runs HAProxy; external: it runs elsewhere. */
  SLIPWAY_INGRESS: z.preprocess(
    unsetIfEmpty,
    z.enum(ingressModes, { error: 'must be off, supervise or external' }).default('off'),
  ),
  SLIPWAY_INGRESS_BIND: z.preprocess(
    unsetIfEmpty,
    z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' }).default('0.0.0.0'),
  ),
  SLIPWAY_INGRESS_HTTP_PORT: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(1).max(65535).default(80),
  ),
  /** haproxy.cfg, the host map and (by default) the sockets; shared with HAProxy when external. */
  SLIPWAY_INGRESS_STATE_DIR: z.preprocess(
    unsetIfEmpty,
    plainPath
      .refine(
        (path) => Buffer.byteLength(path) <= 80,
        'must be at most 80 bytes (the sockets go inside it)',
      )
      .default('/var/lib/slipway/ingress'),
  ),
  SLIPWAY_INGRESS_ADMIN_SOCKET: z.preprocess(unsetIfEmpty, socketPath.optional()),
  /** The master CLI socket (`haproxy -W -S <path>`), for reloads when HAProxy is external. */
  SLIPWAY_INGRESS_MASTER_SOCKET: z.preprocess(unsetIfEmpty, socketPath.optional()),
  SLIPWAY_HAPROXY_BINARY: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[^\s]+$/, 'must be a path or a command name')
      .default('haproxy'),
  ),
  /** How long start-up waits for an external HAProxy's sockets to answer. */
  SLIPWAY_INGRESS_CONNECT_TIMEOUT_SECONDS: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(1).max(600).default(30),
  ),
};

type IngressSettingsEnv = z.infer<ReturnType<typeof z.object<typeof ingressSettingsSchema>>>;

export interface IngressConfig {
  mode: Exclude<IngressMode, 'off'>;
  bind: { address: string; port: number };
  stateDir: string;
  configFile: string;
  mapFile: string;
  adminSocket: string;
  masterSocket: string;
  binary: string;
  connectTimeoutMs: number;
  /** SLIPWAY_BASE_DOMAIN, shared with the API (default hostname `<app>.<base domain>`). */
  baseDomain: string | null;
}

/** The ingress part of a parsed worker configuration; null when the ingress is off. */
export function ingressConfigOf(
  config: IngressSettingsEnv & { SLIPWAY_BASE_DOMAIN?: string | undefined },
): IngressConfig | null {
  if (config.SLIPWAY_INGRESS === 'off') return null;
  const dir = config.SLIPWAY_INGRESS_STATE_DIR;
  return {
    mode: config.SLIPWAY_INGRESS,
    bind: { address: config.SLIPWAY_INGRESS_BIND, port: config.SLIPWAY_INGRESS_HTTP_PORT },
    stateDir: dir,
    configFile: join(dir, 'haproxy.cfg'),
    mapFile: join(dir, 'hosts.map'),
    adminSocket: config.SLIPWAY_INGRESS_ADMIN_SOCKET ?? join(dir, 'admin.sock'),
    masterSocket: config.SLIPWAY_INGRESS_MASTER_SOCKET ?? join(dir, 'master.sock'),
    binary: config.SLIPWAY_HAPROXY_BINARY,
    connectTimeoutMs: config.SLIPWAY_INGRESS_CONNECT_TIMEOUT_SECONDS * 1000,
    baseDomain: config.SLIPWAY_BASE_DOMAIN ?? null,
  };
}
