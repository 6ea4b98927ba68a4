import { z } from 'zod';
import type { components } from './generated/schema.js';

type Problem = components['schemas']['Problem'];

const problemShape = z
  .object({
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.string(),
    type: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() }).loose()).optional(),
  })
  .loose();

/** A problem+json answer (or a non-JSON error) from the API, with what it said. */
export class SlipwayApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Pick<Problem, 'title' | 'detail' | 'code'> & {
      errors?: { path: string; message: string }[] | undefined;
    },
  ) {
    super(`${problem.title}: ${problem.detail} (${problem.code})`);
    this.name = 'SlipwayApiError';
  }

  /** Builds the error from an error response body, whatever shape it had. */
  static from(status: number, body: unknown): SlipwayApiError {
    const parsed = problemShape.safeParse(body);
    if (parsed.success) return new SlipwayApiError(status, parsed.data);
    const text = typeof body === 'string' ? body.slice(0, 500) : '';
    return new SlipwayApiError(status, {
      title: `HTTP ${status}`,
      detail: text === '' ? 'the API answered without a problem document' : text,
      code: 'HTTP_ERROR',
    });
  }
}
