/**
 * Image references and registry credentials, resolved the way the docker CLI does it, so an image
 * that `docker pull` can fetch on this host is fetched the same way by Slipway. Pure: reading the
 * config file lives in docker-config-file.ts.
 */
import type { DockerRegistryAuth } from './runtime-types.js';

export const DOCKER_HUB_REGISTRY = 'docker.io';
/** The key the docker CLI stores Docker Hub credentials under, and the address it sends. */
export const DOCKER_HUB_SERVER_ADDRESS = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

export interface ImageReference {
  /** The reference without tag or digest, as written ("nginx", "127.0.0.1:5000/team/app"). */
  name: string;
  /** Registry host, with port when written; "docker.io" when the reference names no registry. */
  registry: string;
  /** Path inside the registry; Docker Hub's official images get their implicit "library/". */
  repository: string;
  tag: string | null;
  digest: string | null;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const REGISTRY_HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:]+\])(?::\d+)?$/;

/** Null when the text is not a valid image reference. */
export function parseImageReference(reference: string): ImageReference | null {
  const at = reference.indexOf('@');
  const withoutDigest = at === -1 ? reference : reference.slice(0, at);
  const digest = at === -1 ? null : reference.slice(at + 1);
  if (digest !== null && !DIGEST.test(digest)) return null;

  const lastSlash = withoutDigest.lastIndexOf('/');
  const tagColon = withoutDigest.indexOf(':', lastSlash + 1);
  const name = tagColon === -1 ? withoutDigest : withoutDigest.slice(0, tagColon);
  const tag = tagColon === -1 ? null : withoutDigest.slice(tagColon + 1);
  if (tag !== null && !TAG.test(tag)) return null;

  const components = name.split('/');
  const first = components[0] ?? '';
  // Docker's rule: the first component is a registry only if it cannot be a repository path part.
  const hasRegistry =
    components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registryHost = hasRegistry ? first : DOCKER_HUB_REGISTRY;
  if (!REGISTRY_HOST.test(registryHost)) return null;
  const path = hasRegistry ? components.slice(1) : components;
  if (path.length === 0 || !path.every((part) => PATH_COMPONENT.test(part))) return null;

  const registry = normalizeRegistryHost(registryHost);
  const isHub = registry === DOCKER_HUB_REGISTRY;
  const repository = isHub && path.length === 1 ? `library/${path.join('/')}` : path.join('/');
  return { name, registry, repository, tag, digest };
}

/**
 * Reduces a registry as written in a reference or as a key of config.json ("https://host:5000/v2/")
 * to the host[:port] form, with all of Docker Hub's names folded to "docker.io".
 */
export function normalizeRegistryHost(registry: string): string {
  const withoutScheme = registry.replace(/^[a-z]+:\/\//i, '');
  const host = (withoutScheme.split('/')[0] ?? '').toLowerCase();
  return DOCKER_HUB_HOSTS.has(host) ? DOCKER_HUB_REGISTRY : host;
}

/** The parts of a docker config.json that matter for pulling. */
export interface DockerConfig {
  auths: Record<string, DockerAuthEntry>;
}

export interface DockerAuthEntry {
  /** base64("username:password"), what `docker login` writes. */
  auth?: string;
  username?: string;
  password?: string;
}

/** Parses config.json text; throws an Error naming `source` when it is not a usable config. */
export function parseDockerConfig(text: string, source: string): DockerConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not valid JSON`, { cause: error });
  }
  if (!isRecord(parsed)) throw new Error(`${source} must hold a JSON object`);
  const auths = parsed.auths ?? {};
  if (!isRecord(auths)) throw new Error(`${source}: "auths" must be an object`);
  const entries: Record<string, DockerAuthEntry> = {};
  for (const [registry, value] of Object.entries(auths)) {
    if (!isRecord(value)) throw new Error(`${source}: auths["${registry}"] must be an object`);
    const entry: DockerAuthEntry = {};
    for (const field of ['auth', 'username', 'password'] as const) {
      const fieldValue = value[field];
      if (fieldValue === undefined) continue;
      if (typeof fieldValue !== 'string') {
        throw new Error(`${source}: auths["${registry}"].${field} must be a string`);
      }
      entry[field] = fieldValue;
    }
    entries[registry] = entry;
  }
  return { auths: entries };
}

/**
 * Credentials stored for the registry of an image, or null when the config has none for it.
 * Entries that only name a credential helper or an identity token are not usable here and are
 * treated as absent. Throws when the matching entry is malformed.
 */
export function credentialsForRegistry(
  config: DockerConfig,
  registry: string,
): DockerRegistryAuth | null {
  const wanted = normalizeRegistryHost(registry);
  for (const [key, entry] of Object.entries(config.auths)) {
    if (normalizeRegistryHost(key) !== wanted) continue;
    const userAndPassword = readUserAndPassword(key, entry);
    if (userAndPassword === null) continue;
    return {
      serveraddress: wanted === DOCKER_HUB_REGISTRY ? DOCKER_HUB_SERVER_ADDRESS : wanted,
      ...userAndPassword,
    };
  }
  return null;
}

function readUserAndPassword(
  key: string,
  entry: DockerAuthEntry,
): { username: string; password: string } | null {
  if (entry.username !== undefined && entry.password !== undefined) {
    return { username: entry.username, password: entry.password };
  }
  if (entry.auth === undefined || entry.auth === '') return null;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new Error(`the "auth" value stored for ${key} is not base64 of "username:password"`);
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
