import { problemSchema } from '../schemas/problem.js';

/**
 * The OpenAPI response entry of an error: problem+json, as the error handler sends it (a bare
 * schema would be documented as application/json).
 */
export const problemResponse = {
  description: 'An RFC 9457 problem',
  content: { 'application/problem+json': { schema: problemSchema } },
};

/** OpenAPI response entries for the problem+json errors a route can answer with. */
export function problemResponses<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse])) as {
    [K in S[number]]: typeof problemResponse;
  };
}
