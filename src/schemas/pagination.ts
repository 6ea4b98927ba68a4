import { z } from 'zod';
import { queryInteger } from './query-integer.js';

export const paginationQuerySchema = z.object({
  limit: queryInteger({ min: 1, max: 100, default: 20 }),
  cursor: z.string().max(1024).optional().describe('Opaque cursor from a previous page'),
});

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .describe('Pass as `cursor` for the next page; null at the end'),
  });
}
