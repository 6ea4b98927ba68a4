/**
 * A supervised HAProxy for an in-process worker (the pipeline harness): its own state dir in
 * /tmp, its HTTP frontend on a free 127.0.0.1 port, started through the worker's own start-up
 * code (src/ingress/start-ingress.ts). close() stops it and removes the dir; processes() shows
 * whether any HAProxy of this dir is still running.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { IngressConfig } from '../../src/config/ingress-config.js';
import { createIngressStateReader } from '../../src/db/ingress-state-reader.js';
import type { Database } from '../../src/db/prisma-client.js';
import { createRuntimeApi, type MapEntry } from '../../src/ingress/runtime-api.js';
import { startIngress, type Ingress } from '../../src/ingress/start-ingress.js';
import { freePort } from './free-port.js';

export interface IngressResponse {
  status: number;
  body: string;
  retryAfter: string | null;
}

export interface HarnessIngress {
  readonly port: number;
  readonly config: IngressConfig;
  readonly ingress: Ingress;
  /** GET through the ingress with this Host header, on a fresh connection. */
  get(host: string, path?: string): Promise<IngressResponse>;
  /** The live host map (runtime API). */
  mapEntries(): Promise<MapEntry[]>;
  close(): Promise<void>;
}

/** A short dir: the admin socket path must fit in 108 bytes. */
export function ingressConfigForTest(port: number, baseDomain: string | null): IngressConfig {
  const stateDir = mkdtempSync('/tmp/slipway-ing-');
  return {
    mode: 'supervise',
    bind: { address: '127.0.0.1', port },
    stateDir,
    configFile: join(stateDir, 'haproxy.cfg'),
    mapFile: join(stateDir, 'hosts.map'),
    adminSocket: join(stateDir, 'admin.sock'),
    masterSocket: join(stateDir, 'master.sock'),
    binary: 'haproxy',
    connectTimeoutMs: 5000,
    baseDomain,
  };
}

export async function startHarnessIngress(
  db: Database,
  logger: Logger,
  baseDomain: string | null,
): Promise<HarnessIngress> {
  const port = await freePort();
  const config = ingressConfigForTest(port, baseDomain);
  let ingress: Ingress;
  try {
    ingress = await startIngress(config, createIngressStateReader(db), logger);
  } catch (error) {
    await rm(config.stateDir, { recursive: true, force: true });
    throw error;
  }
  const api = createRuntimeApi({ socketPath: config.adminSocket });
  return {
    port,
    config,
    ingress,
    get: (host, path = '/') => ingressGet(port, host, path),
    mapEntries: () => api.showMap(config.mapFile),
    async close() {
      await ingress.close();
      await rm(config.stateDir, { recursive: true, force: true });
    },
  };
}

/** node:http, as fetch() does not let a caller set Host; no keep-alive, 5 s bound. */
export function ingressGet(port: number, host: string, path = '/'): Promise<IngressResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, body, retryAfter: retryAfter ?? null });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Pids of running processes whose command line names `text` (e.g. a state dir). Linux /proc. */
export async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}
