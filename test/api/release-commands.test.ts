import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import {
  addCommand,
  createApp,
  expectJson,
  expectProblem,
  listCommands,
  rawJson,
  releaseCommandBody,
  releaseCommandListBody,
  unique,
} from './helpers.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t.close();
});

async function appWith(count: number): Promise<{ app: string; ids: string[] }> {
  const app = unique('rc');
  await createApp(t.server, app);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await addCommand(t.server, app, { label: `step-${i}`, command: `echo ${i}` })).id);
  }
  return { app, ids };
}

function reorder(app: string, ids: unknown) {
  return t.server.inject({
    method: 'PUT',
    url: `/v1/apps/${app}/release-commands/order`,
    payload: { ids },
  });
}

function expectDense(items: { position: number }[]): void {
  expect(items.map((item) => item.position)).toEqual(items.map((_, index) => index));
}

describe('POST /v1/apps/{app}/release-commands', () => {
  test('appends with defaults (timeoutSeconds 1800) at the end, positions 0..n-1', async () => {
    const app = unique('rc-append');
    await createApp(t.server, app);
    const first = await addCommand(t.server, app, { label: 'migrate', command: 'npm run migrate' });
    expect(first).toMatchObject({
      label: 'migrate',
      command: 'npm run migrate',
      timeoutSeconds: 1800,
      position: 0,
    });
    const second = await addCommand(t.server, app, {
      label: 'seed',
      command: 'npm run seed',
      timeoutSeconds: 60,
    });
    expect(second).toMatchObject({ timeoutSeconds: 60, position: 1 });
    expect(await listCommands(t.server, app)).toEqual([first, second]);
  });

  test('label may contain emoji; command may be multiline with tabs', async () => {
    const app = unique('rc-text');
    await createApp(t.server, app);
    const command = 'set -e\n\tnpm run migrate\r\necho "done ✅"';
    const created = await addCommand(t.server, app, { label: '🚀 migrate → prod', command });
    expect(created.label).toBe('🚀 migrate → prod');
    expect(created.command).toBe(command);
    const fetched = expectJson(
      await t.server.inject({
        method: 'GET',
        url: `/v1/apps/${app}/release-commands/${created.id}`,
      }),
      200,
      releaseCommandBody,
    );
    expect(fetched).toEqual(created);
  });

  test('accepts the length and timeout bounds', async () => {
    const app = unique('rc-bounds');
    await createApp(t.server, app);
    const long = await addCommand(t.server, app, {
      label: 'l'.repeat(200),
      command: 'c'.repeat(10000),
      timeoutSeconds: 86400,
    });
    expect(long.label).toHaveLength(200);
    expect(long.command).toHaveLength(10000);
    const short = await addCommand(t.server, app, { label: 'l', command: 'c', timeoutSeconds: 1 });
    expect(short.timeoutSeconds).toBe(1);
  });

  test('lengths count characters: 200 emoji fit a label, 1000 a description, 10000 a command', async () => {
    const app = unique('rc-emoji');
    await createApp(t.server, app, '🚀'.repeat(1000));
    const created = await addCommand(t.server, app, {
      label: '🚀'.repeat(200),
      command: '🚀'.repeat(10000),
    });
    expect(created.label).toBe('🚀'.repeat(200));
    expect(created.command).toBe('🚀'.repeat(10000));
    expect((await listCommands(t.server, app))[0]?.label).toBe('🚀'.repeat(200));
    expectProblem(
      await t.server.inject({
        method: 'POST',
        url: `/v1/apps/${app}/release-commands`,
        payload: { label: '🚀'.repeat(201), command: 'x' },
      }),
      400,
      'VALIDATION_FAILED',
    );
  });

  const invalid: [string, string, string][] = [
    ['an empty label', '{"label":"","command":"x"}', '/label'],
    ['a 201-character label', `{"label":"${'l'.repeat(201)}","command":"x"}`, '/label'],
    ['a newline in the label', '{"label":"a\\nb","command":"x"}', '/label'],
    ['a NUL in the label', '{"label":"a\\u0000b","command":"x"}', '/label'],
    ['a lone surrogate in the label', '{"label":"a\\ud800","command":"x"}', '/label'],
    ['a lone low surrogate in the label', '{"label":"\\udc00a","command":"x"}', '/label'],
    ['a C1 control in the label', '{"label":"a\\u0085b","command":"x"}', '/label'],
    ['an empty command', '{"label":"a","command":""}', '/command'],
    ['a 10001-character command', `{"label":"a","command":"${'c'.repeat(10001)}"}`, '/command'],
    ['a NUL in the command', '{"label":"a","command":"rm -rf /\\u0000"}', '/command'],
    ['an escape char in the command', '{"label":"a","command":"\\u001b[2J"}', '/command'],
    ['a lone surrogate in the command', '{"label":"a","command":"\\ud800"}', '/command'],
    ['timeoutSeconds 0', '{"label":"a","command":"x","timeoutSeconds":0}', '/timeoutSeconds'],
    [
      'timeoutSeconds 86401',
      '{"label":"a","command":"x","timeoutSeconds":86401}',
      '/timeoutSeconds',
    ],
    ['timeoutSeconds 1.5', '{"label":"a","command":"x","timeoutSeconds":1.5}', '/timeoutSeconds'],
    ['timeoutSeconds -0', '{"label":"a","command":"x","timeoutSeconds":-0}', '/timeoutSeconds'],
    [
      'timeoutSeconds 1e400',
      '{"label":"a","command":"x","timeoutSeconds":1e400}',
      '/timeoutSeconds',
    ],
    [
      'timeoutSeconds 2^53+1',
      '{"label":"a","command":"x","timeoutSeconds":9007199254740993}',
      '/timeoutSeconds',
    ],
    [
      'timeoutSeconds as a string',
      '{"label":"a","command":"x","timeoutSeconds":"60"}',
      '/timeoutSeconds',
    ],
    ['timeoutSeconds null', '{"label":"a","command":"x","timeoutSeconds":null}', '/timeoutSeconds'],
    ['a missing label', '{"command":"x"}', '/label'],
    ['a missing command', '{"label":"a"}', '/command'],
    ['a command array', '{"label":"a","command":["sh","-c","x"]}', '/command'],
    ['a client-chosen position', '{"label":"a","command":"x","position":0}', '/'],
    ['a client-chosen id', `{"label":"a","command":"x","id":"${randomUUID()}"}`, '/'],
  ];
  test.each(invalid)('rejects %s with 400 and stores nothing', async (_label, body, path) => {
    const { app } = await appWith(1);
    const before = await listCommands(t.server, app);
    const problem = expectProblem(
      await rawJson(t.server, 'POST', `/v1/apps/${app}/release-commands`, body),
      400,
      'VALIDATION_FAILED',
    );
    expect(problem.errors?.map((issue) => issue.path)).toContain(path);
    expect(await listCommands(t.server, app)).toEqual(before);
  });

  test('an app may have 100 commands; the 101st is 422 and is not stored', async () => {
    const app = unique('rc-max');
    await createApp(t.server, app);
    for (let i = 0; i < 100; i++) {
      await addCommand(t.server, app, { label: `c${i}`, command: 'true' });
    }
    const res = await t.server.inject({
      method: 'POST',
      url: `/v1/apps/${app}/release-commands`,
      payload: { label: 'one too many', command: 'true' },
    });
    const problem = expectProblem(res, 422);
    expect(problem.detail).toMatch(/100/);
    const items = await listCommands(t.server, app);
    expect(items).toHaveLength(100);
    expectDense(items);
    expect(items.map((item) => item.label)).not.toContain('one too many');

    // Deleting one makes room again, and the new one lands at the end.
    await t.server.inject({
      method: 'DELETE',
      url: `/v1/apps/${app}/release-commands/${items[0]?.id ?? ''}`,
    });
    const again = await addCommand(t.server, app, { label: 'fits now', command: 'true' });
    expect(again.position).toBe(99);
  });

  test('an unknown app is 404 APP_NOT_FOUND', async () => {
    expectProblem(
      await t.server.inject({
        method: 'POST',
        url: '/v1/apps/nobody/release-commands',
        payload: { label: 'a', command: 'b' },
      }),
      404,
      'APP_NOT_FOUND',
    );
  });
});

describe('GET /v1/apps/{app}/release-commands', () => {
  test('an app without commands has an empty list', async () => {
    const { app } = await appWith(0);
    const res = await t.server.inject({ method: 'GET', url: `/v1/apps/${app}/release-commands` });
    expect(expectJson(res, 200, releaseCommandListBody)).toEqual({ items: [] });
  });

  test('lists only the app’s own commands, in insertion order', async () => {
    const one = await appWith(3);
    const other = await appWith(2);
    expect((await listCommands(t.server, one.app)).map((c) => c.id)).toEqual(one.ids);
    expect((await listCommands(t.server, other.app)).map((c) => c.id)).toEqual(other.ids);
  });

  test('an unknown app is 404 APP_NOT_FOUND', async () => {
    expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/apps/nobody/release-commands' }),
      404,
      'APP_NOT_FOUND',
    );
  });
});

describe('GET|PATCH|DELETE /v1/apps/{app}/release-commands/{id}', () => {
  test('GET returns the command', async () => {
    const { app, ids } = await appWith(2);
    const res = await t.server.inject({
      method: 'GET',
      url: `/v1/apps/${app}/release-commands/${ids[1] ?? ''}`,
    });
    expect(expectJson(res, 200, releaseCommandBody)).toMatchObject({
      id: ids[1],
      label: 'step-1',
      position: 1,
    });
  });

  test('PATCH is partial, keeps the position, bumps updatedAt', async () => {
    const { app, ids } = await appWith(3);
    const [before] = (await listCommands(t.server, app)).slice(1, 2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const res = await t.server.inject({
      method: 'PATCH',
      url: `/v1/apps/${app}/release-commands/${ids[1] ?? ''}`,
      payload: { timeoutSeconds: 42 },
    });
    const updated = expectJson(res, 200, releaseCommandBody);
    expect(updated).toMatchObject({
      id: ids[1],
      label: 'step-1',
      command: 'echo 1',
      timeoutSeconds: 42,
      position: 1,
      createdAt: before?.createdAt,
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(before?.updatedAt ?? ''));

    const relabelled = expectJson(
      await t.server.inject({
        method: 'PATCH',
        url: `/v1/apps/${app}/release-commands/${ids[1] ?? ''}`,
        payload: { label: 'renamed', command: 'echo renamed' },
      }),
      200,
      releaseCommandBody,
    );
    expect(relabelled).toMatchObject({
      label: 'renamed',
      command: 'echo renamed',
      timeoutSeconds: 42,
    });
    expect((await listCommands(t.server, app)).map((c) => c.id)).toEqual(ids);
  });

  test('PATCH with an empty body changes nothing', async () => {
    const { app, ids } = await appWith(1);
    const [before] = await listCommands(t.server, app);
    const res = await t.server.inject({
      method: 'PATCH',
      url: `/v1/apps/${app}/release-commands/${ids[0] ?? ''}`,
      payload: {},
    });
    expect(expectJson(res, 200, releaseCommandBody)).toMatchObject({
      label: before?.label,
      command: before?.command,
      timeoutSeconds: before?.timeoutSeconds,
      position: 0,
    });
  });

  test.each([
    ['position (changed only by reordering)', { position: 3 }],
    ['an empty label', { label: '' }],
    ['a null label', { label: null }],
    ['a NUL in the command', { command: 'a\u0000' }],
    ['timeoutSeconds 0', { timeoutSeconds: 0 }],
    ['an unknown field', { retries: 3 }],
  ])('PATCH rejects %s with 400 and changes nothing', async (_label, body) => {
    const { app, ids } = await appWith(2);
    const before = await listCommands(t.server, app);
    expectProblem(
      await t.server.inject({
        method: 'PATCH',
        url: `/v1/apps/${app}/release-commands/${ids[0] ?? ''}`,
        payload: body,
      }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await listCommands(t.server, app)).toEqual(before);
  });

  test('DELETE closes the gap: positions stay 0..n-1 in the same relative order', async () => {
    const { app, ids } = await appWith(5);
    const res = await t.server.inject({
      method: 'DELETE',
      url: `/v1/apps/${app}/release-commands/${ids[2] ?? ''}`,
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    let items = await listCommands(t.server, app);
    expect(items.map((c) => c.id)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
    expectDense(items);

    // Removing the first and the last keeps it dense too.
    for (const id of [ids[0], ids[4]]) {
      await t.server.inject({
        method: 'DELETE',
        url: `/v1/apps/${app}/release-commands/${id ?? ''}`,
      });
    }
    items = await listCommands(t.server, app);
    expect(items.map((c) => c.id)).toEqual([ids[1], ids[3]]);
    expectDense(items);

    // A command appended after deletions goes to the end, with the next dense position.
    const appended = await addCommand(t.server, app, { label: 'late', command: 'true' });
    expect(appended.position).toBe(2);
  });

  test('DELETE twice: the second is 404 RELEASE_COMMAND_NOT_FOUND', async () => {
    const { app, ids } = await appWith(1);
    const url = `/v1/apps/${app}/release-commands/${ids[0] ?? ''}`;
    expect((await t.server.inject({ method: 'DELETE', url })).statusCode).toBe(204);
    expectProblem(
      await t.server.inject({ method: 'DELETE', url }),
      404,
      'RELEASE_COMMAND_NOT_FOUND',
    );
  });

  describe('404s', () => {
    test.each(['GET', 'PATCH', 'DELETE'] as const)(
      '%s of an unknown id is 404 RELEASE_COMMAND_NOT_FOUND',
      async (method) => {
        const { app } = await appWith(1);
        const problem = expectProblem(
          await t.server.inject({
            method,
            url: `/v1/apps/${app}/release-commands/${randomUUID()}`,
            ...(method === 'PATCH' ? { payload: { label: 'x' } } : {}),
          }),
          404,
          'RELEASE_COMMAND_NOT_FOUND',
        );
        expect(problem.detail).toContain(app);
      },
    );

    test.each(['GET', 'PATCH', 'DELETE'] as const)(
      '%s of another app’s command is 404 and does not touch it',
      async (method) => {
        const mine = await appWith(1);
        const theirs = await appWith(1);
        const before = await listCommands(t.server, theirs.app);
        expectProblem(
          await t.server.inject({
            method,
            url: `/v1/apps/${mine.app}/release-commands/${theirs.ids[0] ?? ''}`,
            ...(method === 'PATCH' ? { payload: { label: 'hijacked' } } : {}),
          }),
          404,
          'RELEASE_COMMAND_NOT_FOUND',
        );
        expect(await listCommands(t.server, theirs.app)).toEqual(before);
      },
    );

    test.each(['GET', 'PATCH', 'DELETE'] as const)(
      '%s under an unknown app is 404 APP_NOT_FOUND',
      async (method) => {
        expectProblem(
          await t.server.inject({
            method,
            url: `/v1/apps/nobody/release-commands/${randomUUID()}`,
            ...(method === 'PATCH' ? { payload: { label: 'x' } } : {}),
          }),
          404,
          'APP_NOT_FOUND',
        );
      },
    );

    test.each(['not-a-uuid', '123', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', `${randomUUID()}x`])(
      'a non-uuid id %j is 400 VALIDATION_FAILED in params',
      async (id) => {
        const { app } = await appWith(0);
        const problem = expectProblem(
          await t.server.inject({ method: 'GET', url: `/v1/apps/${app}/release-commands/${id}` }),
          400,
          'VALIDATION_FAILED',
        );
        expect(problem.errors).toContainEqual(
          expect.objectContaining({ path: '/id', location: 'params' }),
        );
      },
    );
  });
});

describe('PUT /v1/apps/{app}/release-commands/order', () => {
  test('applies a permutation and returns the new order, dense', async () => {
    const { app, ids } = await appWith(4);
    const wanted = [ids[2], ids[0], ids[3], ids[1]];
    const res = await reorder(app, wanted);
    const body = expectJson(res, 200, releaseCommandListBody);
    expect(body.items.map((c) => c.id)).toEqual(wanted);
    expectDense(body.items);
    expect(await listCommands(t.server, app)).toEqual(body.items);
  });

  test('the same order is a valid permutation, and an empty list is valid for no commands', async () => {
    const { app, ids } = await appWith(3);
    expect(
      expectJson(await reorder(app, ids), 200, releaseCommandListBody).items.map((c) => c.id),
    ).toEqual(ids);
    const empty = await appWith(0);
    expect(expectJson(await reorder(empty.app, []), 200, releaseCommandListBody)).toEqual({
      items: [],
    });
  });

  test('appending after a reorder goes to the end; deleting keeps the new order', async () => {
    const { app, ids } = await appWith(3);
    await reorder(app, [ids[2], ids[1], ids[0]]);
    const appended = await addCommand(t.server, app, { label: 'last', command: 'true' });
    expect(appended.position).toBe(3);
    await t.server.inject({
      method: 'DELETE',
      url: `/v1/apps/${app}/release-commands/${ids[1] ?? ''}`,
    });
    const items = await listCommands(t.server, app);
    expect(items.map((c) => c.id)).toEqual([ids[2], ids[0], appended.id]);
    expectDense(items);
  });

  const invalidOrders: [string, (ids: string[]) => string[]][] = [
    ['a duplicate replacing one id', (ids) => [ids[0] ?? '', ids[0] ?? '', ids[2] ?? '']],
    ['a duplicate added to all ids', (ids) => [...ids, ids[0] ?? '']],
    ['a missing id', (ids) => ids.slice(0, 2)],
    ['an unknown id', (ids) => [...ids, randomUUID()]],
    ['an unknown id replacing one', (ids) => [ids[0] ?? '', ids[1] ?? '', randomUUID()]],
    ['an empty list', () => []],
  ];
  test.each(invalidOrders)('%s is 422 INVALID_ORDER and changes nothing', async (_label, make) => {
    const { app, ids } = await appWith(3);
    const before = await listCommands(t.server, app);
    const problem = expectProblem(await reorder(app, make(ids)), 422, 'INVALID_ORDER');
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['/ids']);
    expect(await listCommands(t.server, app)).toEqual(before);
  });

  test('another app’s command id is 422 INVALID_ORDER (unknown), and touches neither app', async () => {
    const mine = await appWith(2);
    const theirs = await appWith(1);
    const theirsBefore = await listCommands(t.server, theirs.app);
    const problem = expectProblem(
      await reorder(mine.app, [theirs.ids[0], mine.ids[1], mine.ids[0]]),
      422,
      'INVALID_ORDER',
    );
    expect(problem.detail).toContain(theirs.ids[0]);
    expect((await listCommands(t.server, mine.app)).map((c) => c.id)).toEqual(mine.ids);
    expect(await listCommands(t.server, theirs.app)).toEqual(theirsBefore);
  });

  test.each([
    ['a non-uuid id', ['not-a-uuid']],
    ['a number', [1]],
    ['a null', [null]],
    ['an object', [{ id: 'x' }]],
    ['ids not an array', 'abc'],
    ['ids null', null],
  ])('%s is 400 VALIDATION_FAILED', async (_label, ids) => {
    const { app } = await appWith(1);
    const problem = expectProblem(await reorder(app, ids), 400, 'VALIDATION_FAILED');
    expect(problem.errors?.every((issue) => issue.path.startsWith('/ids'))).toBe(true);
  });

  test('more than 100 ids is 400; an unknown field is 400; a missing ids is 400', async () => {
    const { app } = await appWith(1);
    expectProblem(
      await reorder(
        app,
        Array.from({ length: 101 }, () => randomUUID()),
      ),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.server.inject({
        method: 'PUT',
        url: `/v1/apps/${app}/release-commands/order`,
        payload: { ids: [], force: true },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.server.inject({
        method: 'PUT',
        url: `/v1/apps/${app}/release-commands/order`,
        payload: {},
      }),
      400,
      'VALIDATION_FAILED',
    );
  });

  test('an unknown app is 404 APP_NOT_FOUND', async () => {
    expectProblem(await reorder('nobody', []), 404, 'APP_NOT_FOUND');
  });

  test('"order" is not mistaken for a command id by the other methods', async () => {
    const { app } = await appWith(1);
    // GET .../order matches the /:id route (the order route is PUT only): "order" is not a uuid.
    const problem = expectProblem(
      await t.server.inject({ method: 'GET', url: `/v1/apps/${app}/release-commands/order` }),
      400,
      'VALIDATION_FAILED',
    );
    expect(problem.errors).toContainEqual(
      expect.objectContaining({ path: '/id', location: 'params' }),
    );
  });
});
