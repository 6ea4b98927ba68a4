/**
 * SLIPWAY_INGRESS=external: HAProxy runs elsewhere (the Compose `ingress` service) as
 * `haproxy -W -S <master socket> -f <state dir>/haproxy.cfg`, sharing the state dir. The worker
 * writes the files there, reloads through the master CLI and switches through the admin socket.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { IngressError } from './ingress-error.js';
import type { RuntimeApi } from './runtime-api.js';
import { sendCommand } from './runtime-socket.js';

export interface ExternalHaproxyOptions {
  api: RuntimeApi;
  masterSocket: string;
  /** Bound on a reload; default 10 s. */
  reloadTimeoutMs?: number;
}

const pollMs = 100;

export function createExternalHaproxy(options: ExternalHaproxyOptions) {
  const { api, masterSocket } = options;
  const reloadTimeoutMs = options.reloadTimeoutMs ?? 10_000;

  async function reload(): Promise<void> {
    const before = (await api.showInfo()).pid;
    // 2.6 answers nothing and closes; 2.7 and later answer "Success=0|1" and the startup log.
    const answer = await sendCommand(masterSocket, 'reload', reloadTimeoutMs);
    if (/^Success=0/m.test(answer)) {
      throw new IngressError(
        'INGRESS_COMMAND_FAILED',
        `HAProxy refused the new config:\n${answer}`,
      );
    }
    const deadline = Date.now() + reloadTimeoutMs;
    for (;;) {
      const now = await api.showInfo().catch(() => ({ pid: before }));
      if (now.pid !== before) return;
      if (Date.now() >= deadline) {
        throw new IngressError(
          'INGRESS_TIMEOUT',
          `HAProxy did not start a new worker within ${reloadTimeoutMs} ms of the reload (a config it refused? see its log)`,
        );
      }
      await sleep(pollMs);
    }
  }

  /** Waits until both sockets answer; throws the last failure when timeoutMs has passed. */
  async function waitReachable(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await api.showInfo();
        await sendCommand(masterSocket, 'show proc', 2000);
        return;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
      }
      await sleep(pollMs * 5);
    }
  }

  return { reload, waitReachable };
}
