import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { startTestServer } from '../support/test-server.js';

/** Issue 11, item 26 (API part): the document says what the API sends; health checks are quiet. */

const document = z
  .object({
    paths: z.record(
      z.string(),
      z.record(
        z.string(),
        z
          .object({
            description: z.string().optional(),
            requestBody: z.unknown().optional(),
            responses: z.record(
              z.string(),
              z.object({ content: z.record(z.string(), z.unknown()).optional() }).loose(),
            ),
          })
          .loose(),
      ),
    ),
  })
  .loose()
  .parse(JSON.parse(readFileSync(join(import.meta.dirname, '../../openapi/openapi.json'), 'utf8')));

const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ name: `${method} ${path}`, operation })),
);

describe('the OpenAPI document', () => {
  test('declares every error response as application/problem+json, nothing else', () => {
    const wrong = operations.flatMap(({ name, operation }) =>
      Object.entries(operation.responses)
        .filter(([status]) => Number(status) >= 400)
        // /readyz answers 503 with its readiness document, not a problem.
        .filter(([status]) => !(name.endsWith('/readyz') && status === '503'))
        .filter(
          ([, response]) =>
            Object.keys(response.content ?? {}).join() !== 'application/problem+json',
        )
        .map(([status]) => `${name} ${status}`),
    );
    expect(operations.length).toBeGreaterThan(30);
    expect(wrong).toEqual([]);
  });

  test('every operation without a request body documents its 415', () => {
    const bodiless = operations.filter(({ operation }) => operation.requestBody === undefined);
    expect(bodiless.length).toBeGreaterThan(10);
    const missing = bodiless.filter(({ operation }) => operation.responses['415'] === undefined);
    expect(missing.map(({ name }) => name)).toEqual([]);
  });

  test('says who may call an operation once, not once per method sharing its schema', () => {
    const repeated = operations.filter(
      ({ operation }) => (operation.description ?? '').split('Needs ').length > 2,
    );
    expect(repeated.map(({ name }) => name)).toEqual([]);
    // Control: the note is there at all.
    expect(
      operations.filter(({ operation }) => operation.description?.includes('Needs ')).length,
    ).toBeGreaterThan(20);
  });
});

describe('request logs', () => {
  async function logsOf(level: string, urls: string[]) {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          lines.push(
            z.object({ level: z.number(), msg: z.string() }).loose().parse(JSON.parse(line)),
          );
        }
        done();
      },
    });
    const t = await startTestServer({ logger: pino({ level }, sink) });
    try {
      for (const url of urls) await t.server.inject({ method: 'GET', url });
    } finally {
      await t.close();
    }
    return lines;
  }

  test('health checks log nothing at info, one debug line each at debug', async () => {
    // /healthz only: /readyz may log a (warn) failed check while Redis is still connecting.
    expect(await logsOf('info', ['/healthz', '/healthz?x=1'])).toEqual([]);
    const debug = await logsOf('debug', ['/healthz', '/healthz?x=1']);
    expect(debug.filter((line) => line.msg === 'health check').map((line) => line.level)).toEqual([
      20, 20,
    ]);
    expect(debug.filter((line) => line.level >= 30)).toEqual([]);
  });

  test('control: other requests are still logged at info', async () => {
    const lines = await logsOf('info', ['/v1/apps']);
    expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
  });
});
