import { parseImageReference } from './image-reference.js';

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
