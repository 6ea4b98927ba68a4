import { z } from 'zod';

/**
 * PostgreSQL text cannot hold NUL, and lone UTF-16 surrogates would be silently replaced on the
 * way in; both are rejected up front so what is stored is exactly what was sent.
 */
export function safeText(options: { min: number; max: number; multiline?: boolean }) {
  const forbidden = options.multiline ? /(?![\t\n\r])\p{Cc}/u : /\p{Cc}/u;
  return z
    .string()
    .min(options.min)
    .max(options.max)
    .refine((value) => value.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')
    .refine(
      (value) => !forbidden.test(value),
      options.multiline
        ? 'must not contain control characters other than tab and newline'
        : 'must not contain control characters',
    );
}
