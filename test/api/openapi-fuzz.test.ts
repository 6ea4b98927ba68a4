import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { z } from 'zod';
import { FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectJson } from './helpers.js';

/**
 * Requests generated from the committed OpenAPI document for every operation: valid ones,
 * boundaries, wrong types, unicode, malformed JSON and odd headers (issue 11, regression net).
 * Whatever is sent: no 5xx, every error is problem+json carrying the x-request-id, and every
 * response matches the schema the document declares for its status. One fixed seed, so a failure
 * reproduces, and one random seed per run (printed), so the net keeps finding new cases.
 */

const fixedSeed = 11;
const randomSeed = randomInt(1, 2 ** 31);
const requestsPerSeed = 1600;
const requestTimeoutMs = 5000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

const openapi = z
  .object({
    paths: z.record(
      z.string(),
      z.record(
        z.string(),
        z
          .object({
            parameters: z
              .array(z.object({ in: z.string(), name: z.string(), schema: z.unknown() }).loose())
              .optional(),
            requestBody: z
              .object({ content: z.record(z.string(), z.object({ schema: z.unknown() })) })
              .optional(),
            responses: z.record(
              z.string(),
              z
                .object({
                  content: z.record(z.string(), z.object({ schema: z.unknown() })).optional(),
                })
                .loose(),
            ),
          })
          .loose(),
      ),
    ),
    components: z.object({ schemas: z.record(z.string(), z.unknown()) }),
  })
  .loose()
  .parse(JSON.parse(readFileSync(join(import.meta.dirname, '../../openapi/openapi.json'), 'utf8')));

interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  params: { in: string; name: string; schema: Schema }[];
  body: Schema | undefined;
  responses: Record<string, Record<string, ValidateFunction>>;
}

// multipleOfPrecision: 144.01 is a multiple of 0.01, though not in binary floating point.
const ajv = new Ajv2020({ strict: false, allErrors: false, multipleOfPrecision: 9 });
(addFormatsModule as unknown as (ajv: Ajv2020) => void)(ajv);

function asSchema(value: unknown): Schema {
  return typeof value === 'object' && value !== null ? (value as Schema) : {};
}

/** Compiled with the document's components, so "#/components/schemas/X" resolves. */
function compile(schema: unknown): ValidateFunction {
  return ajv.compile({ ...asSchema(schema), components: openapi.components });
}

const operations: Operation[] = Object.entries(openapi.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    method: method.toUpperCase() as Operation['method'],
    path,
    params: (operation.parameters ?? []).map((p) => ({ ...p, schema: asSchema(p.schema) })),
    body:
      operation.requestBody === undefined
        ? undefined
        : asSchema(operation.requestBody.content['application/json']?.schema),
    responses: Object.fromEntries(
      Object.entries(operation.responses).map(([status, response]) => [
        status,
        Object.fromEntries(
          Object.entries(response.content ?? {}).map(([type, media]) => [
            type,
            compile(media.schema),
          ]),
        ),
      ]),
    ),
  })),
);

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof prng>;

const oddStrings = [
  '',
  ' ',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '😀🚀',
  'e\u0301',
  '\u202eevil',
  '../../etc/passwd',
  '%00',
  "'; DROP TABLE applications; --",
  '<script>alert(1)</script>',
  '\r\n\t',
  'ǅǈ',
  'A'.repeat(300),
  '9'.repeat(25),
  '-1',
  '1e2',
  'null',
  '{"a":1}',
];

function resolve(schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.split('/').at(-1) ?? '';
  return asSchema(openapi.components.schemas[name]);
}

/** A value the schema accepts as far as its keywords tell (patterns are met by plain letters). */
function validValue(input: Schema, random: Random, depth = 0): Json {
  const schema = resolve(input);
  if ('const' in schema) return schema.const as Json;
  if (Array.isArray(schema.enum)) return random.pick(schema.enum as Json[]);
  const choices = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (Array.isArray(choices)) return validValue(random.pick(choices), random, depth + 1);
  const type = Array.isArray(schema.type) ? random.pick(schema.type as string[]) : schema.type;
  switch (type) {
    case 'string':
      return validString(schema, random);
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : min + 1000;
      return random.int(min, Math.min(max, min + 1000));
    }
    case 'boolean':
      return random.chance(0.5);
    case 'null':
      return null;
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const count = random.int(min, Math.max(min, Math.min(3, Number(schema.maxItems ?? 3))));
      return Array.from({ length: count }, () =>
        depth > 4 ? null : validValue(asSchema(schema.items), random, depth + 1),
      );
    }
    default:
      return validObject(schema, random, depth);
  }
}

function validString(schema: Schema, random: Random): string {
  if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 40;
  const length = random.int(Math.max(min, 1), Math.max(Math.max(min, 1), Math.min(max, 12)));
  return Array.from({ length }, () => random.pick('abcdefghijklmnopqrstuvwxyz'.split(''))).join('');
}

function validObject(schema: Schema, random: Random, depth: number): Json {
  const properties = asSchema(schema.properties);
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const out: Record<string, Json> = {};
  for (const [key, property] of Object.entries(properties)) {
    if (required.has(key) || random.chance(0.6)) {
      out[key] = depth > 4 ? null : validValue(asSchema(property), random, depth + 1);
    }
  }
  return out;
}

/** The same value with one leaf changed into something it should not be. */
function mutate(value: Json, random: Random): Json {
  const hostile: Json[] = [
    null,
    true,
    0,
    -1,
    1.5,
    2 ** 53,
    -(2 ** 63),
    1e308,
    '',
    random.pick(oddStrings),
    [],
    {},
    'x'.repeat(70_000),
    [[[[[[[[[[]]]]]]]]]],
    JSON.parse('{"__proto__":{"polluted":true}}') as Json,
  ];
  if (typeof value !== 'object' || value === null || random.chance(0.15)) {
    return random.pick(hostile);
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? [random.pick(hostile)] : value.map((item) => mutate(item, random));
  }
  const keys = Object.keys(value);
  if (keys.length === 0 || random.chance(0.2)) {
    return { ...value, [random.pick(['extra', '__proto__', 'constructor', ''])]: 1 };
  }
  const key = random.pick(keys);
  return { ...value, [key]: mutate(value[key] ?? null, random) };
}

const malformedBodies = [
  '{',
  '{"a":}',
  '[1,2,',
  '{"name":"x",}',
  'nul',
  '"\\ud800"',
  '{"a":"\\u0000"}',
  '\uFEFF{}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  'Infinity',
  '1'.repeat(400),
];

/** Percent-encoding; a lone surrogate (not encodable) becomes invalid UTF-8 on the wire. */
function encodeText(text: string): string {
  return text.isWellFormed() ? encodeURIComponent(text) : '%ED%A0%80';
}

interface Fixture {
  app: string;
  commandId: string;
  deploymentId: string;
  tokenId: string;
  deployToken: string;
}

function pathValue(name: string, fixture: Fixture, random: Random, kind: string): string {
  if (kind === 'odd') return encodeText(random.pick(oddStrings));
  if (name === 'app') return kind === 'other' ? 'no-such-app' : fixture.app;
  if (name === 'name') return random.pick(['FUZZ_VAR', 'OTHER', 'SLIPWAY_X', '1BAD', 'a-b']);
  if (name === 'id') {
    return random.pick([
      fixture.commandId,
      fixture.deploymentId,
      fixture.tokenId,
      '00000000-0000-4000-8000-000000000000',
      'not-a-uuid',
    ]);
  }
  return 'x';
}

const variants = [
  'valid',
  'boundary',
  'wrong-type',
  'unicode',
  'malformed',
  'odd-headers',
] as const;
type Variant = (typeof variants)[number];

function requestFor(
  operation: Operation,
  variant: Variant,
  fixture: Fixture,
  random: Random,
): InjectOptions {
  const pathKind =
    variant === 'unicode' && random.chance(0.5) ? 'odd' : random.chance(0.1) ? 'other' : 'own';
  const url = operation.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    pathValue(name, fixture, random, pathKind),
  );
  const query = queryFor(operation, variant, random);
  const headers: Record<string, string> = {};
  for (const param of operation.params.filter((p) => p.in === 'header')) {
    if (param.name === 'idempotency-key' && random.chance(0.5)) {
      headers[param.name] =
        variant === 'valid' ? `k-${random.int(1, 20)}` : random.pick(oddStrings);
    }
    if (param.name === 'last-event-id' && random.chance(0.5)) {
      headers[param.name] = random.pick([
        '0',
        '5',
        '9223372036854775807',
        '9999999999999999999',
        '-1',
        'x',
      ]);
    }
    if (param.name === 'accept') {
      // The stream of a finished deployment replays and closes; an unknown id is a 404 at once.
      headers.accept = random.pick(['text/plain', 'text/event-stream', '*/*', 'application/json']);
    }
  }
  addOddHeaders(headers, variant, fixture, random);
  const options: InjectOptions = {
    method: operation.method,
    url: query === '' ? url : `${url}?${query}`,
    headers,
    remoteAddress: `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`,
  };
  const payload = bodyFor(operation, variant, random);
  if (payload !== undefined) {
    headers['content-type'] ??= 'application/json';
    options.payload = payload;
  }
  return options;
}

function queryFor(operation: Operation, variant: Variant, random: Random): string {
  const parts: string[] = [];
  for (const param of operation.params.filter((p) => p.in === 'query')) {
    if (!random.chance(0.6)) continue;
    const value =
      variant === 'valid'
        ? JSON.stringify(validValue(param.schema, random)).replace(/^"|"$/g, '')
        : variant === 'boundary'
          ? random.pick(['0', '1', '100', '101', '-1', String(2 ** 53), ''])
          : random.pick(oddStrings);
    parts.push(`${param.name}=${encodeText(value)}`);
  }
  if (variant === 'odd-headers' && random.chance(0.3)) parts.push('limit=1&limit=2');
  return parts.join('&');
}

function bodyFor(operation: Operation, variant: Variant, random: Random): string | undefined {
  if (operation.body === undefined) {
    // Bodiless operations get a body now and then: always a 415.
    return variant === 'malformed' || (variant === 'odd-headers' && random.chance(0.5))
      ? random.pick(['{}', '{"x":"\\u0000"}', '{"actor":"someone else"}', 'x'])
      : undefined;
  }
  const valid = validValue(operation.body, random);
  switch (variant) {
    case 'valid':
      return JSON.stringify(valid);
    case 'boundary':
      return JSON.stringify(boundaryOf(operation.body, valid, random));
    case 'wrong-type':
      return JSON.stringify(mutate(valid, random));
    case 'unicode':
      return JSON.stringify(withStrings(valid, random.pick(oddStrings)));
    case 'malformed':
      return random.pick(malformedBodies);
    case 'odd-headers':
      return JSON.stringify(valid);
  }
}

/** Every string set to its maximum length (or one beyond), every number to a bound (or beyond). */
function boundaryOf(schema: Schema, value: Json, random: Random): Json {
  const resolved = resolve(schema);
  const beyond = random.chance(0.5) ? 1 : 0;
  if (typeof value === 'string' && typeof resolved.maxLength === 'number') {
    return 'b'.repeat(Math.min(resolved.maxLength + beyond, 70_000));
  }
  if (typeof value === 'number') {
    const bound = random.chance(0.5) ? resolved.minimum : resolved.maximum;
    return typeof bound === 'number'
      ? bound + (bound === resolved.maximum ? beyond : -beyond)
      : value;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const properties = asSchema(resolved.properties);
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        boundaryOf(asSchema(properties[key]), item, random),
      ]),
    );
  }
  return value;
}

function withStrings(value: Json, text: string): Json {
  if (typeof value === 'string') return `${value}${text}`;
  if (Array.isArray(value)) return value.map((item) => withStrings(item, text));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withStrings(v, text)]));
  }
  return value;
}

function addOddHeaders(
  headers: Record<string, string>,
  variant: Variant,
  fixture: Fixture,
  random: Random,
): void {
  const auth = random.next();
  if (auth < 0.05) headers.authorization = 'Bearer nonsense';
  else if (auth < 0.08) headers.authorization = 'Basic Zm9vOmJhcg==';
  else if (auth < 0.16) headers.authorization = `Bearer ${fixture.deployToken}`;
  if (variant !== 'odd-headers') return;
  const odd = random.pick([
    ['content-type', 'text/plain'],
    ['content-type', 'application/json; charset=latin1'],
    ['content-type', 'application/json; charset=utf-16'],
    ['content-type', 'multipart/form-data; boundary=x'],
    ['content-type', 'application/x-www-form-urlencoded'],
    ['content-type', 'application/json;;;'],
    ['accept', 'application/xml'],
    ['accept-encoding', 'gzip, br, zstd'],
    ['x-request-id', '<script>'],
    ['x-request-id', 'a'.repeat(200)],
    ['x-forwarded-for', '1.2.3.4, ::1'],
    ['idempotency-key', 'x'.repeat(300)],
    ['if-none-match', '*'],
    ['range', 'bytes=0-1'],
  ] as const);
  headers[odd[0]] = odd[1];
}

let t: TestServer;
let fixture: Fixture;

beforeAll(async () => {
  t = await startTestServer();
  fixture = await createFixture();
}, 60_000);

afterAll(async () => {
  await t.close();
});

async function createFixture(): Promise<Fixture> {
  const app = 'fuzz-app';
  await createApp(t.server, app);
  const command = expectJson(
    await t.server.inject({
      method: 'POST',
      url: `/v1/apps/${app}/release-commands`,
      payload: { label: 'migrate', command: 'true' },
    }),
    201,
    z.object({ id: z.uuid() }).loose(),
  );
  const deployment = expectJson(
    await t.server.inject({
      method: 'POST',
      url: `/v1/apps/${app}/deployments`,
      payload: { image: FIXTURE_IMAGES.webV1 },
    }),
    202,
    z.object({ id: z.uuid() }).loose(),
  );
  // Finished, so its event stream replays and closes instead of following a live deployment.
  await t.server.inject({ method: 'POST', url: `/v1/deployments/${deployment.id}/cancel` });
  const token = expectJson(
    await t.server.inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { name: 'fuzz', scope: 'deploy', apps: [app] },
    }),
    201,
    z.object({ id: z.uuid(), token: z.string() }).loose(),
  );
  return {
    app,
    commandId: command.id,
    deploymentId: deployment.id,
    tokenId: token.id,
    deployToken: token.token,
  };
}

async function send(options: InjectOptions): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${requestTimeoutMs} ms`));
    }, requestTimeoutMs);
  });
  try {
    return await Promise.race([t.server.inject(options), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything wrong with one answer, as text; empty when it is right. */
function problemsWith(operation: Operation, res: LightMyRequestResponse): string[] {
  const found: string[] = [];
  const status = res.statusCode;
  const requestId = res.headers['x-request-id'];
  if (status >= 500 && !(status === 503 && operation.path === '/readyz')) found.push('a 5xx');
  if (typeof requestId !== 'string' || requestId === '') found.push('no x-request-id');
  const contentType = res.headers['content-type'];
  const type = (typeof contentType === 'string' ? contentType : '').split(';')[0] ?? '';
  if (status >= 400 && !(operation.path === '/readyz' && status === 503)) {
    if (type !== 'application/problem+json') found.push(`an error as ${type || 'no type'}`);
    else if (parsed(res.body)?.requestId !== requestId) found.push('problem.requestId ≠ header');
  }
  // A fuzzed path may match no route at all: that 404 belongs to no operation.
  if (status === 404 && parsed(res.body)?.code === 'ROUTE_NOT_FOUND') return found;
  const documented = operation.responses[String(status)];
  if (documented === undefined) return [...found, `undocumented status ${status}`];
  const validate = documented[type];
  if (Object.keys(documented).length === 0) {
    if (res.body !== '') found.push(`a body on a documented empty ${status}`);
  } else if (validate === undefined) {
    found.push(`undocumented content type ${type}`);
  } else if (type.endsWith('json') && !validate(parsed(res.body))) {
    found.push(`body does not match the schema: ${ajv.errorsText(validate.errors)}`);
  }
  return found;
}

function parsed(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    // Not JSON: the content-type check reports it.
    return null;
  }
}

async function fuzz(seed: number) {
  const random = prng(seed);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  for (let index = 0; index < requestsPerSeed; index += 1) {
    const operation = operations[index % operations.length];
    if (operation === undefined) throw new Error('no operations in the document');
    // The app is deleted now and then by the fuzz itself; put it back so most requests hit it.
    if (index % operations.length === 0) await ensureApp();
    const variant = random.pick(variants);
    const options = requestFor(operation, variant, fixture, random);
    const res = await send(options);
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    for (const problem of problemsWith(operation, res)) {
      if (failures.length < 30) {
        failures.push(
          `${operation.method} ${operation.path} [${variant}] ${typeof options.url === 'string' ? options.url : ''} → ${res.statusCode}: ${problem} ${res.body.slice(0, 200)}`,
        );
      }
    }
  }
  return { failures, statuses };
}

async function ensureApp(): Promise<void> {
  const res = await t.server.inject({ method: 'GET', url: `/v1/apps/${fixture.app}` });
  if (res.statusCode === 404) {
    await createApp(t.server, fixture.app);
    const token = expectJson(
      await t.server.inject({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'fuzz', scope: 'deploy', apps: [fixture.app] },
      }),
      201,
      z.object({ id: z.uuid(), token: z.string() }).loose(),
    );
    fixture = { ...fixture, deployToken: token.token, tokenId: token.id };
  }
}

test.each([
  ['fixed', fixedSeed],
  ['random', randomSeed],
])(
  `${requestsPerSeed} generated requests (%s seed %i): no 5xx, problem+json errors, documented shapes`,
  async (_kind, seed) => {
    console.log(`openapi fuzz: seed ${seed} (reproduce by setting it as fixedSeed)`);
    const { failures, statuses } = await fuzz(seed);
    console.log(
      `openapi fuzz: seed ${seed}, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(failures).toEqual([]);
    // The net sees both sides: plenty of successes and plenty of client errors.
    const count = (predicate: (status: number) => boolean) =>
      [...statuses].filter(([status]) => predicate(status)).reduce((sum, [, n]) => sum + n, 0);
    expect(count((status) => status < 300)).toBeGreaterThan(requestsPerSeed / 20);
    expect(count((status) => status >= 400)).toBeGreaterThan(requestsPerSeed / 5);
  },
  120_000,
);

test('control: the checks see a 5xx, an error that is not problem+json and an undocumented shape', () => {
  const operation = operations.find((op) => op.method === 'GET' && op.path === '/v1/apps/{app}');
  if (operation === undefined) throw new Error('GET /v1/apps/{app} is not documented');
  const fake = (statusCode: number, type: string, body: string) =>
    ({
      statusCode,
      headers: { 'content-type': type, 'x-request-id': 'r' },
      body,
    }) as unknown as LightMyRequestResponse;
  expect(problemsWith(operation, fake(500, 'application/problem+json', '{}'))).toContain('a 5xx');
  expect(problemsWith(operation, fake(404, 'application/json', '{"requestId":"r"}'))).toContain(
    'an error as application/json',
  );
  expect(
    problemsWith(operation, fake(200, 'application/json', '{"id":1}')).some((p) =>
      p.startsWith('body does not match'),
    ),
  ).toBe(true);
  expect(
    problemsWith(operation, fake(418, 'application/problem+json', '{"requestId":"r"}')),
  ).toContain('undocumented status 418');
});
