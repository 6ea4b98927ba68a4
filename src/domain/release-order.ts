import { AppError } from './errors.js';

/** A reorder request must name every current command exactly once, and nothing else. */
export function assertIsPermutation(
  currentIds: readonly string[],
  requestedIds: readonly string[],
): void {
  const current = new Set(currentIds);
  const requested = new Set(requestedIds);
  const duplicates = requestedIds.length !== requested.size;
  const unknown = requestedIds.filter((id) => !current.has(id));
  const missing = currentIds.filter((id) => !requested.has(id));
  if (!duplicates && unknown.length === 0 && missing.length === 0) return;

  const reasons = [
    duplicates ? 'some ids are repeated' : null,
    unknown.length > 0 ? `unknown ids: ${unknown.join(', ')}` : null,
    missing.length > 0 ? `missing ids: ${missing.join(', ')}` : null,
  ].filter((reason) => reason !== null);
  throw new AppError(
    'INVALID_ORDER',
    `ids must be exactly the application's current release command ids, in the new order (${reasons.join('; ')})`,
    { issues: [{ path: '/ids', message: reasons.join('; ') }] },
  );
}
