/**
 * Docker image references as the distribution spec defines them:
 *   [host[:port]/]path[:tag][@sha256:<64 hex>]
 * Path components are lowercase alphanumerics joined by ".", "_", "__" or "-" runs.
 */
const hostComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${hostComponent}(?:\\.${hostComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const path = `${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = 'sha256:[a-f0-9]{64}';

const referencePattern = new RegExp(`^(?:(${host})/)?(${path})(?::(${tag}))?(?:@(${digest}))?$`);
const pathComponentPattern = new RegExp(`^${pathComponent}$`);

export const maxImageReferenceLength = 512;

export interface ImageReference {
  /** Registry host as written, or null for Docker Hub. */
  registry: string | null;
  repository: string;
  tag: string | null;
  digest: string | null;
}

export function parseImageReference(reference: string): ImageReference | null {
  if (reference.length === 0 || reference.length > maxImageReferenceLength) return null;
  const match = referencePattern.exec(reference);
  if (match === null) return null;
  const [, matchedRegistry, matchedRepository, tagPart, digestPart] = match;
  if (matchedRepository === undefined) return null;
  if (matchedRegistry !== undefined && !hasValidPort(matchedRegistry)) return null;
  let registry = matchedRegistry;
  let repository = matchedRepository;
  // "localhost/x" or "a.b/x" or "host:5000/x" name a registry; "library/x" does not.
  if (registry !== undefined && !/[.:]|^localhost$|^\[/.test(registry)) {
    // Not a registry after all, so it obeys the path rules ("UPPER/case" is no valid repository).
    if (!pathComponentPattern.test(registry)) return null;
    repository = `${registry}/${repository}`;
    registry = undefined;
  }
  return {
    registry: registry ?? null,
    repository,
    tag: tagPart ?? null,
    digest: digestPart ?? null,
  };
}

/** A TCP port is 1–65535: "host:0" or "host:99999" would only fail later, inside Docker. */
export function hasValidPort(hostAndPort: string): boolean {
  const port = /:(\d+)$/.exec(hostAndPort)?.[1];
  if (port === undefined) return true;
  const value = Number(port);
  return value >= 1 && value <= 65535;
}

export function isValidImageReference(reference: string): boolean {
  return parseImageReference(reference) !== null;
}
