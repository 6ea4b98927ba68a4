import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectProblem } from './helpers.js';

/**
 * Issue 11, item 6: DELETE /v1/apps/X racing a write that references X. Either the write wins
 * (and the delete then removes what it wrote) or it loses and is a 404 APP_NOT_FOUND; a
 * foreign-key violation must never surface as a 500. Real concurrency on the real database.
 */

const rounds = 25;
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t.close();
});

interface Race {
  name: string;
  write: (app: string) => Promise<LightMyRequestResponse>;
}

const races: Race[] = [
  {
    name: 'PUT /v1/apps/X/env/N',
    write: (app) =>
      t.server.inject({ method: 'PUT', url: `/v1/apps/${app}/env/N`, payload: { value: 'v' } }),
  },
  {
    name: 'PUT /v1/apps/X/registry-credentials',
    write: (app) =>
      t.server.inject({
        method: 'PUT',
        url: `/v1/apps/${app}/registry-credentials`,
        payload: { server: '127.0.0.1:5000', username: 'u', password: 'p' },
      }),
  },
  {
    name: 'POST /v1/tokens with apps: [X]',
    write: (app) =>
      t.server.inject({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'ci', scope: 'deploy', apps: [app] },
      }),
  },
];

describe.each(races)('DELETE /v1/apps/X racing $name', ({ name, write }) => {
  test(`${rounds} rounds: the write is 2xx or 404 APP_NOT_FOUND, never 5xx`, async () => {
    const outcomes = { won: 0, lost: 0 };
    for (let round = 0; round < rounds; round += 1) {
      const app = `race-${races.findIndex((race) => race.name === name)}-${round}`;
      await createApp(t.server, app);
      const [deleted, written] = await Promise.all([
        t.server.inject({ method: 'DELETE', url: `/v1/apps/${app}` }),
        write(app),
      ]);
      expect(deleted.statusCode, deleted.body).toBe(204);
      if (written.statusCode === 404) {
        expectProblem(written, 404, 'APP_NOT_FOUND');
        outcomes.lost += 1;
      } else {
        expect(written.statusCode, written.body).toBeGreaterThanOrEqual(200);
        expect(written.statusCode, written.body).toBeLessThan(300);
        outcomes.won += 1;
      }
      // Whichever way it went, nothing of the app is left behind.
      expect(await t.db.envVar.count()).toBe(0);
      expect(await t.db.registryCredential.count()).toBe(0);
      expect(await t.db.apiTokenApp.count()).toBe(0);
    }
    expect(outcomes.won + outcomes.lost).toBe(rounds);
  }, 60_000);
});
