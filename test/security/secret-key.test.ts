/**
 * Key handling: the worker opens secrets with SLIPWAY_SECRET_KEY when it claims a deployment. The
 * wrong key (or a ciphertext moved to another app or variable) must fail the deployment loudly,
 * naming what could not be read, rather than run containers with garbage.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createDeploymentStore } from '../../src/db/deployment-store.js';
import { SecretDecryptionError } from '../../src/domain/secret-box.js';
import { FIXTURE_IMAGES, TEST_AUTH_REGISTRY } from '../support/docker-fixtures.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t.close();
});

async function call(method: 'POST' | 'PUT' | 'GET', url: string, payload?: object) {
  const res = await t.server.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res;
}

async function trigger(app: string, image: string = FIXTURE_IMAGES.webV1): Promise<string> {
  const res = await call('POST', `/v1/apps/${app}/deployments`, { image });
  return z.object({ id: z.uuid() }).loose().parse(JSON.parse(res.body)).id;
}

/** Marks a claimed deployment finished, so the app's next deployment can be claimed. */
async function finish(id: string): Promise<void> {
  await t.db.deployment.update({
    where: { id },
    data: { status: 'succeeded', finishedAt: new Date() },
  });
}

describe('opening secrets in the worker', () => {
  test('with the right key the claim carries the variables, secrets opened, as of the trigger', async () => {
    await call('POST', '/v1/apps', { name: 'keyed' });
    await call('PUT', '/v1/apps/keyed/env/API_KEY', { value: 'right-key-secret', secret: true });
    await call('PUT', '/v1/apps/keyed/env/MODE', { value: 'production' });
    const id = await trigger('keyed');
    await call('PUT', '/v1/apps/keyed/env/API_KEY', {
      value: 'changed-after-trigger',
      secret: true,
    });

    const claim = await createDeploymentStore(t.db, t.secretKey).claim(id, 'test-worker');
    expect(claim.outcome).toBe('claimed');
    if (claim.outcome !== 'claimed') return;
    expect(claim.deployment.env).toEqual({ API_KEY: 'right-key-secret', MODE: 'production' });
    expect(claim.deployment.secretValues).toEqual(['right-key-secret']);
    expect(claim.deployment.registryCredentials).toBeNull();
    await finish(id);
  });

  test('a wrong SLIPWAY_SECRET_KEY fails the claim and the deployment, naming the secret', async () => {
    await call('POST', '/v1/apps', { name: 'wrong-key' });
    await call('PUT', '/v1/apps/wrong-key/env/DB_PASSWORD', {
      value: 'never-garbage',
      secret: true,
    });
    const id = await trigger('wrong-key');

    const store = createDeploymentStore(t.db, randomBytes(32));
    const expected =
      'cannot decrypt secret DB_PASSWORD of app "wrong-key": wrong SLIPWAY_SECRET_KEY or corrupted data';
    await expect(store.claim(id, 'test-worker')).rejects.toThrow(SecretDecryptionError);

    const res = await call('GET', `/v1/deployments/${id}`);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'failed', failureReason: expected });
    // Failed for good: a retry of the job does not run it.
    expect(await createDeploymentStore(t.db, t.secretKey).claim(id, 'other-worker')).toEqual({
      outcome: 'not-claimable',
      status: 'failed',
    });
  });

  test('a secret copied onto another app does not open there (it is bound to app and name)', async () => {
    await call('POST', '/v1/apps', { name: 'victim' });
    await call('POST', '/v1/apps', { name: 'thief' });
    await call('PUT', '/v1/apps/victim/env/TOKEN', { value: 'victim-secret', secret: true });
    await call('PUT', '/v1/apps/thief/env/TOKEN', { value: 'thief-secret', secret: true });
    const stolen = await t.db.envVar.findFirstOrThrow({
      where: { name: 'TOKEN', application: { name: 'victim' } },
    });
    await t.db.envVar.updateMany({
      where: { name: 'TOKEN', application: { name: 'thief' } },
      data: { sealedValue: stolen.sealedValue },
    });
    const id = await trigger('thief');
    await expect(createDeploymentStore(t.db, t.secretKey).claim(id, 'w')).rejects.toThrow(
      /cannot decrypt secret TOKEN of app "thief"/,
    );
  });

  test('registry credentials: opened for images on their registry, always masked', async () => {
    await call('POST', '/v1/apps', { name: 'private' });
    await call('PUT', '/v1/apps/private/registry-credentials', {
      server: TEST_AUTH_REGISTRY,
      username: 'slipway',
      password: 'registry-password',
    });
    const store = createDeploymentStore(t.db, t.secretKey);

    const onRegistry = await trigger('private', `${TEST_AUTH_REGISTRY}/slipway-test/web:v1`);
    const first = await store.claim(onRegistry, 'w');
    expect(first.outcome === 'claimed' && first.deployment.registryCredentials).toEqual({
      server: TEST_AUTH_REGISTRY,
      username: 'slipway',
      password: 'registry-password',
    });
    await finish(onRegistry);

    const elsewhere = await trigger('private', 'registry.example.com/other/app:1');
    const second = await store.claim(elsewhere, 'w');
    expect(second.outcome).toBe('claimed');
    if (second.outcome !== 'claimed') return;
    expect(second.deployment.registryCredentials).toBeNull();
    expect(second.deployment.secretValues).toContain('registry-password');
    await finish(elsewhere);

    const wrongKey = await trigger('private', `${TEST_AUTH_REGISTRY}/slipway-test/web:v1`);
    await expect(createDeploymentStore(t.db, randomBytes(32)).claim(wrongKey, 'w')).rejects.toThrow(
      'cannot decrypt the registry password of app "private": wrong SLIPWAY_SECRET_KEY or corrupted data',
    );
  });
});
