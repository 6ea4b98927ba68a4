import { AppError } from '../domain/errors.js';
import { maxDomainsPerApp, type Domain } from '../schemas/domain.js';
import type { ApplicationService } from './application-service.js';
import type { DomainRepository, StoredDomain } from './ports.js';

function toView(domain: StoredDomain): Domain {
  return { hostname: domain.hostname, default: false, createdAt: domain.createdAt.toISOString() };
}

/**
 * The hostnames the ingress routes to each app: the ones given through the API, plus, when
 * SLIPWAY_BASE_DOMAIN is set, `<app>.<base>` (computed from the name, never stored, so it follows
 * a rename). A hostname belongs to one app at most.
 */
export function createDomainService(deps: {
  applications: Pick<ApplicationService, 'requireApp'>;
  domains: DomainRepository;
  /** SLIPWAY_BASE_DOMAIN, lower-case; null when unset. */
  baseDomain: string | null;
}) {
  const { applications, domains, baseDomain } = deps;

  function defaultHostname(app: string): string | null {
    return baseDomain === null ? null : `${app}.${baseDomain}`;
  }

  /** The app whose default hostname this is (it may not exist), or null. */
  function defaultOwner(hostname: string): string | null {
    if (baseDomain === null || !hostname.endsWith(`.${baseDomain}`)) return null;
    const label = hostname.slice(0, -(baseDomain.length + 1));
    return label.includes('.') ? null : label;
  }

  const defaultView = (hostname: string): Domain => ({ hostname, default: true, createdAt: null });

  return {
    async list(app: string): Promise<{ items: Domain[] }> {
      const owner = await applications.requireApp(app);
      const stored = (await domains.list(owner.id)).map(toView);
      const fallback = defaultHostname(owner.name);
      return { items: fallback === null ? stored : [defaultView(fallback), ...stored] };
    },

    async put(app: string, hostname: string): Promise<{ domain: Domain; created: boolean }> {
      const owner = await applications.requireApp(app);
      // The app's own default hostname is already routed to it: nothing to store.
      if (hostname === defaultHostname(owner.name)) {
        return { domain: defaultView(hostname), created: false };
      }
      const result = await domains.put(owner.id, hostname, {
        defaultOf: defaultOwner(hostname),
        assertCanAdd: (count) => {
          if (count >= maxDomainsPerApp) {
            throw new AppError(
              'SETTINGS_CONFLICT',
              `an application can have at most ${maxDomainsPerApp} hostnames`,
            );
          }
        },
      });
      return { domain: toView(result.domain), created: result.created };
    },

    async remove(app: string, hostname: string): Promise<void> {
      const owner = await applications.requireApp(app);
      if (hostname === defaultHostname(owner.name)) {
        throw new AppError(
          'SETTINGS_CONFLICT',
          `${hostname} is the default hostname from SLIPWAY_BASE_DOMAIN; it cannot be removed`,
        );
      }
      if (!(await domains.delete(owner.id, hostname))) {
        throw new AppError('DOMAIN_NOT_FOUND', `application "${app}" has no hostname ${hostname}`);
      }
    },
  };
}

export type DomainService = ReturnType<typeof createDomainService>;
