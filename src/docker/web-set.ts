/**
 * A release's web containers as one workload reference. A release with one replica is named by its
 * container id, as every release was before replicas (so stored refs, and the deprecated
 * `containerId` field of the API, keep meaning a container); a release with several is named
 * `web-set:<deploymentId>:<count>`, and its containers are found by their labels (installation,
 * deployment, role web) and ordered by their replica label. The count is in the ref so a set
 * with a member removed outside Slipway is seen as degraded, not healthy.
 */
import { EngineError } from '../engine/engine-error.js';
import { labelKeys } from './container-labels.js';
import type { DockerOperations } from './docker-operations.js';

const setPrefix = 'web-set:';

export interface WebSetRef {
  deploymentId: string;
  count: number;
}

export interface SetMember {
  id: string;
  /** 1-based; 0 when the container carries no replica label (not one Slipway made for a set). */
  replica: number;
}

export function webSetRef(deploymentId: string, count: number): string {
  return `${setPrefix}${deploymentId}:${count}`;
}

/** The set a ref names, or null when it names a single container. */
export function parseWebSetRef(ref: string): WebSetRef | null {
  if (!ref.startsWith(setPrefix)) return null;
  const match = /^([0-9a-fA-F-]{1,64}):(\d{1,2})$/.exec(ref.slice(setPrefix.length));
  if (match === null) {
    throw new EngineError('ENGINE_ERROR', `malformed web set reference ${JSON.stringify(ref)}`);
  }
  return { deploymentId: match[1] ?? '', count: Number(match[2]) };
}

/** The set a web container belongs to, from its labels; null when it is a release of one. */
export function setRefOfLabels(labels: Record<string, string>): string | null {
  const count = Number(labels[labelKeys.replicas] ?? '1');
  const deploymentId = labels[labelKeys.deployment];
  if (labels[labelKeys.role] !== 'web' || deploymentId === undefined || !(count > 1)) return null;
  return webSetRef(deploymentId, count);
}

/** The containers a ref names that still exist, replica 1 first. */
export async function setMembers(
  docker: DockerOperations,
  instance: string,
  ref: string,
): Promise<SetMember[]> {
  const set = parseWebSetRef(ref);
  if (set === null) {
    return (await docker.containerState(ref)) === null ? [] : [{ id: ref, replica: 1 }];
  }
  const found = await docker.listContainers({
    [labelKeys.managed]: 'true',
    [labelKeys.instance]: instance,
    [labelKeys.deployment]: set.deploymentId,
    [labelKeys.role]: 'web',
  });
  return found
    .map((container) => ({
      id: container.id,
      replica: Number(container.labels[labelKeys.replica] ?? '0') || 0,
    }))
    .sort((a, b) => a.replica - b.replica);
}

/** How many workloads a ref promises (the set's count, or 1). */
export function expectedCount(ref: string): number {
  return parseWebSetRef(ref)?.count ?? 1;
}

/** Runs `each` on every item side by side; throws the first failure once all are done. */
export async function allOrFirstError<T>(
  items: T[],
  each: (item: T) => Promise<void>,
): Promise<void> {
  const results = await Promise.allSettled(items.map(each));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
