import { problemSchema } from '../schemas/problem.js';

/** OpenAPI response entries for the problem+json errors a route can answer with. */
export function problemResponses<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((status) => [status, problemSchema])) as {
    [K in S[number]]: typeof problemSchema;
  };
}
