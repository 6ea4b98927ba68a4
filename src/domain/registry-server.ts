import { hasValidPort, parseImageReference } from './image-reference.js';

const dockerHubHosts = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** "https://Registry.example.com:5000/v2/" → "registry.example.com:5000"; Docker Hub → docker.io. */
export function normalizeRegistryServer(server: string): string {
  const host = server
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return dockerHubHosts.has(host) ? 'docker.io' : host;
}

/**
 * Credentials are sent only to the registry they were given for: a password for one registry
 * must never reach another one because an image reference happens to name it.
 */
export function credentialsApplyTo(server: string, image: string): boolean {
  const reference = parseImageReference(image);
  if (reference === null) return false;
  return (
    normalizeRegistryServer(reference.registry ?? 'docker.io') === normalizeRegistryServer(server)
  );
}

/**
 * What a registry server may be written as: optional http(s) scheme, a host, an optional port
 * 1–65535 and at most Docker's own API path ("/", "/v1/", "/v2/"). Anything more ("/../",
 * "?x=1") names no registry and would be stored as a confusing near-duplicate.
 */
export const registryServerPattern =
  /^(?:https?:\/\/)?([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?)(?:\/v[12])?\/?$/;

export function isValidRegistryServer(server: string): boolean {
  const host = registryServerPattern.exec(server)?.[1];
  return host !== undefined && hasValidPort(host);
}
