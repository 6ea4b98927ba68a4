/**
 * The Docker engine's `endpoint: 'network'` mode (SLIPWAY_INGRESS=external with DEPLOY_NETWORK):
 * a web release's endpoint is its IP on that network and its own port, which a HAProxy container
 * on the network reaches (and the probe too); the default stays the 127.0.0.1 published port.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from '../../src/docker/docker-engine.js';
import { labelKeys } from '../../src/docker/container-labels.js';
import { resourceDefaults } from '../../src/domain/resource-limits.js';
import type { Engine } from '../../src/engine/engine.js';
import {
  containersWithLabel,
  dockerCli,
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
  removeContainersWithLabel,
} from '../support/docker-fixtures.js';

const instance = `test-${randomBytes(5).toString('hex')}`;
const network = `slipway-test-${randomBytes(4).toString('hex')}`;
const probe = {
  path: '/',
  host: null,
  settings: {
    path: '/',
    startupTimeoutSeconds: 20,
    probeTimeoutSeconds: 2,
    maxRetries: 1000,
    intervalMs: 100,
  },
};

beforeAll(async () => {
  await ensureDockerFixtures();
  await dockerCli(['network', 'create', network]);
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  await removeContainersWithLabel(labelKeys.instance, instance);
  expect(await containersWithLabel(labelKeys.instance, instance)).toEqual([]);
  await dockerCli(['network', 'rm', network]);
}, 60_000);

async function startAndProbe(engine: Engine, app: string) {
  const image = await engine.images.resolve(FIXTURE_IMAGES.webV1, {
    onLog: () => undefined,
    credentials: null,
  });
  const candidate = await engine.web.start({
    owner: { app, deploymentId: randomBytes(8).toString('hex') },
    imageId: image.id,
    env: {},
    port: 8080,
    resources: resourceDefaults,
    replicas: 1,
  });
  const ready = await engine.web.waitUntilReady(candidate, probe, {
    log: () => undefined,
    signal: new AbortController().signal,
  });
  return { candidate, ready };
}

describe('Docker web endpoints', () => {
  it("endpoint 'network': the container's IP on DEPLOY_NETWORK and its own port, probed there", async () => {
    const engine = createDockerEngine({ instance, network, authConfig: null, endpoint: 'network' });
    const { candidate, ready } = await startAndProbe(engine, 'net');
    try {
      const ip = (
        await dockerCli([
          'inspect',
          '-f',
          `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
          candidate.ref,
        ])
      ).trim();
      expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(candidate.endpoints[0]).toBe(`http://${ip}:8080`);
      expect(candidate.description).toContain(`on network ${network}`);
      expect(ready.outcome).toBe('ready');
      const res = await fetch(candidate.endpoints[0] ?? 'http://127.0.0.1:1', {
        signal: AbortSignal.timeout(5000),
      });
      expect(await res.text()).toContain('slipway-test web v1');
    } finally {
      await engine.web.retire(candidate.ref, { stopTimeoutSeconds: 1 });
    }
  }, 120_000);

  it('by default (and with no DEPLOY_NETWORK) the endpoint is the published 127.0.0.1 port', async () => {
    for (const engine of [
      createDockerEngine({ instance, network, authConfig: null }),
      createDockerEngine({ instance, network: undefined, authConfig: null, endpoint: 'network' }),
    ]) {
      const { candidate, ready } = await startAndProbe(engine, 'published');
      try {
        expect(candidate.endpoints[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(ready.outcome).toBe('ready');
      } finally {
        await engine.web.retire(candidate.ref, { stopTimeoutSeconds: 1 });
      }
    }
  }, 120_000);
});
