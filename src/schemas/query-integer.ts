import { z } from 'zod';

/**
 * An integer in a query string: plain decimal digits only. Number() would also take "1e2",
 * "0x10", " 5" or "", which the contract does not allow; those stay strings and fail as such.
 */
export function queryInteger(options: { min: number; max: number; default: number }) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value),
    z
      .int({ error: 'must be an integer written in decimal digits' })
      .min(options.min)
      .max(options.max)
      .default(options.default),
  );
}
