import { z } from 'zod';

export const fieldIssueSchema = z.object({
  path: z.string().describe('JSON pointer to the failing field, e.g. "/startupProbe/path"'),
  message: z.string(),
  location: z.enum(['body', 'querystring', 'params', 'headers']).optional(),
});

/** RFC 9457 problem details, extended with a stable machine-readable `code`. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable error code, e.g. APP_NOT_FOUND'),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(fieldIssueSchema).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;
