import type { LightMyRequestResponse } from 'fastify';
import { z } from 'zod';

/** Parses a JSON response body with a schema; the failure names the status and the raw body. */
export function parseBody<T>(res: LightMyRequestResponse, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    throw new Error(`response ${res.statusCode} is not JSON: ${res.body.slice(0, 500)}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `response ${res.statusCode} has an unexpected shape: ${z.prettifyError(parsed.error)}\n${res.body.slice(0, 1000)}`,
    );
  }
  return parsed.data;
}
