import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { appRefSchema } from '../schemas/application.js';
import type { AppRef } from '../services/access-service.js';
import type { RoutePolicy } from './route-policies.js';

/** The application side of the access service that routes need. */
export interface AppFinder {
  applicationNamed(name: string): Promise<AppRef | null>;
  applicationOfDeployment(deploymentId: string): Promise<AppRef | null>;
}

/** Route parameters as strings. Hooks run before validation, so nothing more is assumed. */
export function routeParams(request: FastifyRequest): Record<string, string> {
  const params: unknown = request.params;
  if (typeof params !== 'object' || params === null) return {};
  return Object.fromEntries(
    Object.entries(params).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

/** The application an app-scoped route acts on; null when it (or its deployment) does not exist. */
export async function findRouteApp(
  request: FastifyRequest,
  policy: Extract<RoutePolicy, { access: 'app' }>,
  finder: AppFinder,
): Promise<AppRef | null> {
  const params = routeParams(request);
  if (policy.appFrom === 'param') {
    const name = params.app;
    return name === undefined ? null : finder.applicationNamed(checkedAppName(name));
  }
  const id = params.id;
  return id === undefined ? null : finder.applicationOfDeployment(id);
}

/**
 * Hooks run before the route's own validation, so the name is checked here with the same schema:
 * a name the database cannot even compare (NUL) must be a 400, never reach a query.
 */
function checkedAppName(name: string): string {
  const parsed = appRefSchema.safeParse(name);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'is invalid';
  throw new AppError('VALIDATION_FAILED', `request is invalid: /app: ${message}`, {
    issues: [{ path: '/app', message, location: 'params' }],
  });
}
