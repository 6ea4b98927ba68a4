import { AppError } from './errors.js';

/** Who is calling, once the bearer token has been recognised. */
export type Principal =
  | { scope: 'admin'; tokenId: string | null; name: string }
  | { scope: 'deploy'; tokenId: string; name: string; applicationIds: ReadonlySet<string> };

/** The bootstrap admin token (SLIPWAY_ADMIN_TOKEN) has no row, hence no id. */
export const bootstrapAdminName = 'bootstrap admin';

/** What a request does to one application. */
export type AppAction =
  | 'read-app'
  | 'change-app'
  | 'read-settings'
  | 'change-settings'
  | 'read-env'
  | 'change-env'
  | 'change-credentials'
  | 'deploy'
  | 'read-deployments'
  | 'cancel'
  | 'read-audit';

/**
 * A deploy token may trigger, read, follow and cancel deployments of its apps and read their
 * settings; nothing else. Environment variables count as settings (secret values never leave
 * the server anyway); registry credentials and the audit log do not.
 */
export const deployScopeActions: ReadonlySet<AppAction> = new Set<AppAction>([
  'read-app',
  'read-settings',
  'read-env',
  'deploy',
  'read-deployments',
  'cancel',
]);

/**
 * Decides whether a principal may act on an application. `applicationId` is null when the app
 * (or the deployment naming it) does not exist: admins go on to get the usual 404, deploy
 * tokens get 403 so that they cannot probe what exists outside their scope.
 */
export function authorizeAppAction(
  principal: Principal,
  action: AppAction,
  applicationId: string | null,
): void {
  if (principal.scope === 'admin') return;
  if (!deployScopeActions.has(action)) {
    throw new AppError('FORBIDDEN', `a deploy token may not ${describeAction(action)}`);
  }
  if (applicationId === null || !principal.applicationIds.has(applicationId)) {
    throw new AppError('FORBIDDEN', 'this token is not allowed to act on this application');
  }
}

export function authorizeAdmin(principal: Principal): void {
  if (principal.scope !== 'admin') {
    throw new AppError('FORBIDDEN', 'this operation needs an admin token');
  }
}

function describeAction(action: AppAction): string {
  return action.replace('-', ' ');
}
