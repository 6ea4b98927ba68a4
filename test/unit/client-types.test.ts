/**
 * The typed client against the committed document: these are compile-time checks (npm run
 * typecheck fails when the generated types drift from what the CLI and these lines expect).
 */
import { expect, expectTypeOf, test } from 'vitest';
import {
  createSlipwayClient,
  type Deployment,
  type LogStreamEvent,
  type operations,
} from '../../src/client/index.js';
import type { Deployment as ServerDeployment } from '../../src/schemas/deployment.js';

test('operations are named by their operationId, with typed answers', () => {
  expectTypeOf<
    operations['createDeployment']['responses'][202]['content']['application/json']
  >().toEqualTypeOf<Deployment>();
  expectTypeOf<
    operations['listApps']['responses'][200]['content']['application/json']['items'][number]['name']
  >().toEqualTypeOf<string>();
  expectTypeOf<operations['createWebhook']['requestBody']>().not.toBeUndefined();
});

test("the generated Deployment is the API schema's Deployment", () => {
  expectTypeOf<Deployment>().toEqualTypeOf<ServerDeployment>();
  expectTypeOf<Extract<LogStreamEvent, { type: 'end' }>['status']>().toEqualTypeOf<
    Deployment['status']
  >();
});

test('paths and parameters are checked', () => {
  const client = createSlipwayClient({ baseUrl: 'http://127.0.0.1:1', token: 'x' });
  // Only type-checked, never sent: a wrong path or a missing parameter does not compile.
  const call = () =>
    client.GET('/v1/apps/{app}/deployments', {
      params: { path: { app: 'shop' }, query: { limit: 5 } },
    });
  expectTypeOf(call).returns.resolves.toHaveProperty('data');
  // @ts-expect-error: there is no such path
  const wrong = () => client.GET('/v1/nope');
  expect(typeof wrong).toBe('function');
});
