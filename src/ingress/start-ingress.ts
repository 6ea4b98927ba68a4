/**
 * The ingress as the worker runs it, from its configuration: the controller, and either a
 * supervised HAProxy child or an external HAProxy reached through its sockets. Start-up fails
 * with an IngressStartError naming the setting to fix; nothing is left running then.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { IngressConfig } from '../config/ingress-config.js';
import type { TrafficRouter } from '../engine/engine.js';
import { createExternalHaproxy } from './external-haproxy.js';
import type { IngressSettings } from './haproxy-config.js';
import { superviseHaproxy, type HaproxySupervisor } from './haproxy-supervisor.js';
import {
  createIngressController,
  type IngressController,
  type IngressStateSource,
  type IngressSyncReport,
} from './ingress-controller.js';
import { createRuntimeApi } from './runtime-api.js';

export class IngressStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngressStartError';
  }
}

export interface Ingress {
  /** The TrafficRouter the pipeline switches with. */
  readonly router: TrafficRouter;
  sync(): Promise<IngressSyncReport>;
  /** The supervised HAProxy master's pid (null when external, or while it restarts). */
  haproxyPid(): number | null;
  /** Stops a supervised HAProxy; an external one is left running. */
  close(): Promise<void>;
}

/** Retry-After of the 503 page of an app without a live release. */
const retryAfterSeconds = 5;
/** An old HAProxy worker still serving after a reload is stopped after this. */
const hardStopAfterSeconds = 120;

export async function startIngress(
  config: IngressConfig,
  source: IngressStateSource,
  logger: Logger,
): Promise<Ingress> {
  await mkdir(config.stateDir, { recursive: true, mode: 0o755 }).catch((error: unknown) => {
    throw new IngressStartError(
      `SLIPWAY_INGRESS_STATE_DIR ${config.stateDir} cannot be created: ${describe(error)}`,
      { cause: error },
    );
  });
  const api = createRuntimeApi({ socketPath: config.adminSocket, timeoutMs: 2000 });
  const settings: IngressSettings = {
    bind: config.bind,
    adminSocket: config.adminSocket,
    mapFile: config.mapFile,
    retryAfterSeconds,
    hardStopAfterSeconds,
  };
  const common = { source, api, configFile: config.configFile, settings };
  return config.mode === 'supervise'
    ? startSupervised(config, common, logger)
    : startExternal(config, common, logger);
}

type ControllerBase = Omit<Parameters<typeof createIngressController>[0], 'reload' | 'baseDomain'>;

async function startSupervised(
  config: IngressConfig,
  base: ControllerBase,
  logger: Logger,
): Promise<Ingress> {
  let supervisor: HaproxySupervisor | null = null;
  const controller = createIngressController({
    ...base,
    baseDomain: config.baseDomain,
    reload: async () => {
      if (supervisor === null) throw new Error('HAProxy is not started yet');
      await supervisor.reload();
    },
  });
  await controller.writeFiles();
  try {
    supervisor = await superviseHaproxy({
      configFile: config.configFile,
      adminSocket: config.adminSocket,
      pidFile: join(config.stateDir, 'haproxy.pid'),
      binary: config.binary,
      logger,
      onRestarted: () => {
        syncInBackground(controller, logger);
      },
    });
  } catch (error) {
    throw new IngressStartError(supervisedStartMessage(config, describe(error)), { cause: error });
  }
  const started = supervisor;
  await firstSync(controller, 'SLIPWAY_INGRESS=supervise', () => started.stop());
  return {
    router: controller.router,
    sync: () => controller.sync(),
    haproxyPid: () => started.pid(),
    close: () => started.stop(),
  };
}

async function startExternal(
  config: IngressConfig,
  base: ControllerBase,
  logger: Logger,
): Promise<Ingress> {
  const external = createExternalHaproxy({ api: base.api, masterSocket: config.masterSocket });
  const controller = createIngressController({
    ...base,
    baseDomain: config.baseDomain,
    reload: () => external.reload(),
  });
  // First the files: the external HAProxy may be waiting for haproxy.cfg to appear.
  await controller.writeFiles();
  try {
    await external.waitReachable(config.connectTimeoutMs);
  } catch (error) {
    throw new IngressStartError(
      `SLIPWAY_INGRESS=external, but HAProxy did not answer within ${config.connectTimeoutMs / 1000} s on SLIPWAY_INGRESS_ADMIN_SOCKET (${config.adminSocket}) and SLIPWAY_INGRESS_MASTER_SOCKET (${config.masterSocket}): ${describe(error)}. Start HAProxy with \`haproxy -W -S ${config.masterSocket} -f ${config.configFile}\` (the Compose ingress service does), fix the socket paths, or set SLIPWAY_INGRESS=off`,
      { cause: error },
    );
  }
  await firstSync(controller, 'SLIPWAY_INGRESS=external', async () => undefined);
  logger.debug({ adminSocket: config.adminSocket }, 'external HAProxy reached');
  return {
    router: controller.router,
    sync: () => controller.sync(),
    haproxyPid: () => null,
    close: async () => undefined,
  };
}

async function firstSync(
  controller: IngressController,
  mode: string,
  undo: () => Promise<void>,
): Promise<void> {
  try {
    await controller.sync();
  } catch (error) {
    await undo();
    throw new IngressStartError(`${mode}: the first ingress sync failed: ${describe(error)}`, {
      cause: error,
    });
  }
}

function syncInBackground(controller: IngressController, logger: Logger): void {
  controller.sync().then(
    (report) => {
      logger.info(report, 'ingress synced after HAProxy restarted');
    },
    (error: unknown) => {
      logger.error(
        { err: error },
        'ingress sync after HAProxy restarted failed; the reconciler retries',
      );
    },
  );
}

function supervisedStartMessage(config: IngressConfig, reason: string): string {
  const where = `${config.bind.address}:${config.bind.port}`;
  if (/cannot run HAProxy/.test(reason)) {
    return `SLIPWAY_INGRESS=supervise, but SLIPWAY_HAPROXY_BINARY (${config.binary}) cannot be run (${reason.replace(/^.*cannot run HAProxy: /s, '')}). Install HAProxy (\`apt-get install haproxy\`), point SLIPWAY_HAPROXY_BINARY at it, or set SLIPWAY_INGRESS=off`;
  }
  if (/cannot bind socket|Address already in use|Permission denied/i.test(reason)) {
    return `SLIPWAY_INGRESS=supervise, but HAProxy cannot listen on ${where} (SLIPWAY_INGRESS_BIND:SLIPWAY_INGRESS_HTTP_PORT): the port is taken, or below 1024 without root/CAP_NET_BIND_SERVICE. Set SLIPWAY_INGRESS_HTTP_PORT to a free port, or SLIPWAY_INGRESS=off.\n${reason}`;
  }
  return `SLIPWAY_INGRESS=supervise, but HAProxy (SLIPWAY_HAPROXY_BINARY=${config.binary}) did not start: ${reason}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
