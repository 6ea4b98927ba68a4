import type Docker from 'dockerode';

import type { PulledImage, DockerRegistryAuth } from './runtime-types.js';
import { EngineError } from '../engine/engine-error.js';
import {
  engineMessage,
  engineStatusCode,
  hasStatus,
  isConnectionFailure,
  pullFailureCode,
  toRuntimeError,
} from './engine-errors.js';
import { FirstError } from './first-error.js';
import { PullProgress } from './pull-progress.js';
import {
  credentialsForRegistry,
  parseImageReference,
  type DockerConfig,
  type ImageReference,
} from './registry-auth.js';

/** What is read from an image inspect. The engine sends null or nothing for several fields that
 * dockerode's typings declare always present, so this is the honest shape. */
interface InspectedImage {
  Id: string;
  RepoDigests?: string[] | null;
  Config?: {
    ExposedPorts?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
  } | null;
}

export type DockerConfigLoader = () => Promise<DockerConfig | null>;

/**
 * Pulls, then describes the image. When the pull fails for any reason but refused credentials or
 * an unreachable engine, an image already present under that exact reference is used instead and
 * onLog says so: that is how locally built images deploy, and a registry outage does not block a
 * redeploy of an image the host already has.
 */
export async function pullImage(
  docker: Docker,
  reference: string,
  onLog: (line: string) => void,
  credentials: DockerRegistryAuth | undefined,
  loadDockerConfig: DockerConfigLoader,
): Promise<PulledImage> {
  const parsed = parseImageReference(reference);
  if (parsed === null) {
    throw new EngineError('IMAGE_NOT_FOUND', `"${reference}" is not a valid image reference`);
  }
  const auth = credentials ?? (await storedCredentials(parsed, loadDockerConfig));

  // A throwing onLog must not be mistaken for a registry failure, so its error waits until the
  // engine's part is done.
  const logFailure = new FirstError();
  const log = (line: string): void => {
    logFailure.guard(() => {
      onLog(line);
    });
  };

  log(`Pulling ${reference}${auth === null ? '' : ` with credentials of ${auth.username}`}`);
  let pullFailure: EngineError | null = null;
  try {
    await runPull(docker, parsed, reference, auth, log);
  } catch (error) {
    pullFailure = toPullFailure(error, reference, auth !== null);
  }
  logFailure.throwIfRecorded();
  if (pullFailure === null) {
    const image = await inspectImage(docker, reference);
    if (image === null) {
      throw new EngineError('IMAGE_NOT_FOUND', `${reference} was pulled but the engine lacks it`);
    }
    return toImageInfo(image, parsed);
  }
  if (pullFailure.code === 'ENGINE_UNAVAILABLE' || pullFailure.code === 'REGISTRY_AUTH_FAILED') {
    throw pullFailure;
  }
  const local = await inspectImage(docker, reference);
  if (local === null) throw pullFailure;
  onLog(`${pullFailure.message}; using the image already present on this host`);
  return toImageInfo(local, parsed);
}

async function storedCredentials(
  parsed: ImageReference,
  loadDockerConfig: DockerConfigLoader,
): Promise<DockerRegistryAuth | null> {
  try {
    const config = await loadDockerConfig();
    return config === null ? null : credentialsForRegistry(config, parsed.registry);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EngineError(
      'REGISTRY_AUTH_FAILED',
      `cannot read the Docker credentials config: ${reason}`,
      { cause: error },
    );
  }
}

async function runPull(
  docker: Docker,
  parsed: ImageReference,
  reference: string,
  auth: DockerRegistryAuth | null,
  log: (line: string) => void,
): Promise<void> {
  // An explicit tag (or digest) matters: with none, the engine pulls every tag of the repository.
  const options = { fromImage: parsed.name, tag: parsed.digest ?? parsed.tag ?? 'latest' };
  const stream =
    auth === null ? await docker.createImage(options) : await docker.createImage(auth, options);
  const progress = new PullProgress(log);
  for await (const chunk of stream) {
    progress.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  progress.end();
  if (progress.error !== null)
    throw new PullStreamError(`${progress.error} (pulling ${reference})`);
}

/** A failure the engine reported inside an otherwise successful pull response. */
class PullStreamError extends Error {}

function toPullFailure(error: unknown, reference: string, hadCredentials: boolean): EngineError {
  if (isConnectionFailure(error)) return toRuntimeError(error, `pulling ${reference}`);
  const message = engineMessage(error);
  const status = error instanceof PullStreamError ? undefined : engineStatusCode(error);
  const code = pullFailureCode(status, message, hadCredentials);
  const prefix: Record<typeof code, string> = {
    IMAGE_NOT_FOUND: `image ${reference} not found`,
    REGISTRY_AUTH_FAILED: `registry refused access to ${reference}`,
    ENGINE_UNAVAILABLE: `Docker engine unreachable while pulling ${reference}`,
    ENGINE_ERROR: `pulling ${reference} failed`,
  };
  return new EngineError(code, `${prefix[code]}: ${message}`, { cause: error });
}

async function inspectImage(docker: Docker, reference: string): Promise<InspectedImage | null> {
  try {
    const image: InspectedImage = await docker.getImage(reference).inspect();
    return image;
  } catch (error) {
    if (hasStatus(error, 404)) return null;
    throw toRuntimeError(error, `inspecting image ${reference}`);
  }
}

function toImageInfo(image: InspectedImage, parsed: ImageReference): PulledImage {
  // RepoDigests lists every repository the image was pulled from or pushed to; only one of the
  // repository that was asked for says where this deployment's image came from.
  const repoDigest =
    (image.RepoDigests ?? []).find((digest) => {
      const candidate = parseImageReference(digest);
      return (
        candidate !== null &&
        candidate.registry === parsed.registry &&
        candidate.repository === parsed.repository
      );
    }) ?? null;
  return {
    id: image.Id,
    repoDigest,
    exposedTcpPorts: exposedTcpPorts(image.Config?.ExposedPorts ?? {}),
    labels: { ...(image.Config?.Labels ?? {}) },
  };
}

/**
 * The engine keeps EXPOSE as a JSON map with keys sorted as strings ("443/tcp" before "80/tcp"),
 * so the Dockerfile order is already lost; ascending port numbers are the stable substitute.
 */
function exposedTcpPorts(exposed: Record<string, unknown>): number[] {
  const ports = new Set<number>();
  for (const key of Object.keys(exposed)) {
    const match = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(key);
    if (match?.[1] === undefined) continue;
    if (match[2] !== undefined && match[2].toLowerCase() !== 'tcp') continue;
    ports.add(Number(match[1]));
  }
  return [...ports].sort((a, b) => a - b);
}

/** An image already on this host, by its id (no pull); null when the engine no longer has it. */
export async function inspectImageById(docker: Docker, id: string): Promise<PulledImage | null> {
  const image = await inspectImage(docker, id);
  if (image === null) return null;
  return {
    id: image.Id,
    // No reference names a repository here, so the first digest the engine knows stands.
    repoDigest: image.RepoDigests?.[0] ?? null,
    exposedTcpPorts: exposedTcpPorts(image.Config?.ExposedPorts ?? {}),
    labels: { ...(image.Config?.Labels ?? {}) },
  };
}
