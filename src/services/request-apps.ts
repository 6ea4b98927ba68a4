import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApplicationRecord } from './ports.js';

/**
 * The applications one API request has read, by name. Authorization, the audit entry and the
 * service all need the app a request acts on; with this they share one read of it instead of
 * making one each. Only for the length of one request: the next one reads afresh.
 */
const storage = new AsyncLocalStorage<Map<string, Promise<ApplicationRecord | null>>>();

/** Runs one request's work (the HTTP layer: everything after onRequest) with its own memo. */
export function runForRequest<T>(work: () => T): T {
  return storage.run(new Map(), work);
}

/** The request's read of the app named `name`, made by `load` the first time it is needed. */
export function appOfRequest(
  name: string,
  load: (name: string) => Promise<ApplicationRecord | null>,
): Promise<ApplicationRecord | null> {
  const memo = storage.getStore();
  if (memo === undefined) return load(name);
  const known = memo.get(name);
  if (known !== undefined) return known;
  const loading = load(name);
  memo.set(name, loading);
  return loading;
}
