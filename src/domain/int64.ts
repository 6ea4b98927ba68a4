/** PostgreSQL's bigint: what ids, sequences and log event ids are stored as. */
export const maxInt64 = 2n ** 63n - 1n;

/**
 * A non-negative bigint written as plain decimal digits, or null. Nineteen digits can exceed
 * 2^63−1, which the database would reject mid-query; such a value is invalid input instead.
 */
export function parseInt64(text: string): bigint | null {
  if (!/^\d{1,19}$/.test(text)) return null;
  const value = BigInt(text);
  return value <= maxInt64 ? value : null;
}
