/**
 * A real HAProxy of one test's own: a temp dir with its config, host map and admin socket, an
 * HTTP frontend on a free 127.0.0.1 port. stop() kills it and removes the dir, so nothing is
 * left behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  renderHaproxyConfig,
  renderHostMap,
  type IngressApp,
  type IngressDesiredState,
} from '../../src/ingress/haproxy-config.js';
import { startHaproxy, type HaproxyProcess } from '../../src/ingress/haproxy-process.js';
import { writeFileAtomic } from '../../src/ingress/write-file-atomic.js';
import { freePort } from './free-port.js';

export interface HaproxyFixture {
  readonly port: number;
  readonly dir: string;
  readonly mapFile: string;
  readonly process: HaproxyProcess;
  /** Writes the config and map for these apps and reloads. */
  reload(apps: IngressApp[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startHaproxyFixture(apps: IngressApp[]): Promise<HaproxyFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-haproxy-'));
  const port = await freePort();
  const configFile = join(dir, 'haproxy.cfg');
  const mapFile = join(dir, 'hosts.map');
  const adminSocket = join(dir, 'admin.sock');
  const state = (forApps: IngressApp[]): IngressDesiredState => ({
    settings: {
      bind: { address: '127.0.0.1', port },
      adminSocket,
      mapFile,
      retryAfterSeconds: 5,
      hardStopAfterSeconds: 30,
    },
    apps: forApps,
  });
  const write = async (forApps: IngressApp[]) => {
    await writeFileAtomic(mapFile, renderHostMap(forApps));
    await writeFileAtomic(configFile, renderHaproxyConfig(state(forApps)));
  };
  await write(apps);
  let process: HaproxyProcess;
  try {
    process = await startHaproxy({ configFile, adminSocket });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    dir,
    mapFile,
    process,
    async reload(forApps) {
      await write(forApps);
      await process.reload();
    },
    async stop() {
      await process.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
