/**
 * Drops component schemas nothing in the paths refers to, directly or through other components.
 * The zod provider renders every registered schema twice (input and output view); generators and
 * linters should only see the ones the operations use.
 */
export function pruneUnusedSchemas<D extends { paths?: unknown; components?: unknown }>(doc: D): D {
  const components = asRecord(doc.components);
  const schemas = asRecord(components?.['schemas']);
  if (components === undefined || schemas === undefined) return doc;
  const used = new Set<string>();
  const pending: unknown[] = [doc.paths];
  // Bounded: each schema is queued at most once, when it is first found to be used.
  while (pending.length > 0) {
    for (const name of refsIn(pending.pop())) {
      if (used.has(name) || !Object.hasOwn(schemas, name)) continue;
      used.add(name);
      pending.push(schemas[name]);
    }
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...components, schemas: kept } };
}

const refPrefix = '#/components/schemas/';

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) refsIn(item, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string' && item.startsWith(refPrefix)) {
        found.push(decodeURIComponent(item.slice(refPrefix.length)));
      } else {
        refsIn(item, found);
      }
    }
  }
  return found;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The route schema key saying a route's body may be left out (rendered as required: false). */
export const optionalBodyKey = 'x-slipway-optional-body' as const;

/**
 * @fastify/swagger always marks a request body as required; an operation whose route schema
 * carries optionalBodyKey gets `required: false` instead, and the marker is dropped.
 */
export function markOptionalBodies<D extends { paths?: unknown }>(doc: D): D {
  const paths = asRecord(doc.paths);
  if (paths === undefined) return doc;
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(asRecord(item) ?? {})) {
      const op = asRecord(operation);
      if (op?.[optionalBodyKey] !== true) continue;
      delete op['x-slipway-optional-body'];
      const body = asRecord(op['requestBody']);
      if (body !== undefined) body['required'] = false;
    }
  }
  return doc;
}
