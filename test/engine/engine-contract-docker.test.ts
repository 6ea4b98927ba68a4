import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { labelKeys } from '../../src/docker/container-labels.js';
import { createDockerEngine } from '../../src/docker/docker-engine.js';
import {
  containersWithLabel,
  ensureDockerFixtures,
  FIXTURE_IMAGES,
  removeContainersWithLabel,
  TEST_REGISTRY,
} from '../support/docker-fixtures.js';
import { describeEngineContract } from './engine-contract.js';

const instance = `contract-${randomBytes(5).toString('hex')}`;

describeEngineContract('docker', async () => {
  await ensureDockerFixtures();
  return {
    engine: createDockerEngine({ instance, network: undefined, authConfig: null }),
    images: {
      web: FIXTURE_IMAGES.webV1,
      crashing: FIXTURE_IMAGES.webCrash,
      neverReady: FIXTURE_IMAGES.webNever,
      missing: `${TEST_REGISTRY}/slipway-test/does-not-exist:never`,
    },
    port: 8080,
  };
});

afterAll(async () => {
  const left = await containersWithLabel(labelKeys.instance, instance);
  await removeContainersWithLabel(labelKeys.instance, instance);
  if (left.length > 0) throw new Error(`containers left behind: ${left.join(', ')}`);
});
