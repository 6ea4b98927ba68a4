/** A deployment as the choice of a rollback target sees it. */
export interface RollbackCandidate {
  id: string;
  applicationId: string;
  /** Trigger order of the app's deployments. */
  sequence: bigint;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  imageId: string | null;
}

export type RollbackChoice<T extends RollbackCandidate> =
  | { ok: true; target: T & { imageId: string } }
  | {
      ok: false;
      code:
        | 'NOTHING_TO_ROLL_BACK'
        | 'DEPLOYMENT_NOT_FOUND'
        | 'ROLLBACK_TARGET_INVALID'
        | 'ROLLBACK_TARGET_IS_LIVE';
      message: string;
    };

/**
 * The release a rollback brings back. Named (`to`): it must be a succeeded deployment of this
 * app with a known image id, and not the live release. By default: the newest succeeded
 * deployment with a known image id triggered before the live release's deployment.
 * `history` holds the app's deployments (any order); `named` is the deployment `to` names.
 */
export function chooseRollbackTarget<T extends RollbackCandidate>(input: {
  applicationId: string;
  app: string;
  live: T | null;
  to: string | undefined;
  named: T | null;
  history: T[];
}): RollbackChoice<T> {
  const { live, app } = input;
  if (live === null) {
    return {
      ok: false,
      code: 'NOTHING_TO_ROLL_BACK',
      message: `application "${app}" has no live release to roll back from`,
    };
  }
  if (input.to !== undefined)
    return checkNamed(input.to, input.named, input.applicationId, live, app);
  const earlier = input.history
    .filter(
      (candidate): candidate is T & { imageId: string } =>
        candidate.applicationId === input.applicationId &&
        candidate.id !== live.id &&
        candidate.sequence < live.sequence &&
        candidate.status === 'succeeded' &&
        candidate.imageId !== null,
    )
    .sort((a, b) => (a.sequence < b.sequence ? 1 : a.sequence > b.sequence ? -1 : 0));
  const target = earlier[0];
  if (target === undefined) {
    return {
      ok: false,
      code: 'NOTHING_TO_ROLL_BACK',
      message: `application "${app}" has no succeeded deployment before its live release ${live.id}`,
    };
  }
  return { ok: true, target };
}

function checkNamed<T extends RollbackCandidate>(
  to: string,
  named: T | null,
  applicationId: string,
  live: RollbackCandidate,
  app: string,
): RollbackChoice<T> {
  if (named?.applicationId !== applicationId) {
    return {
      ok: false,
      code: 'DEPLOYMENT_NOT_FOUND',
      message: `application "${app}" has no deployment ${to}`,
    };
  }
  if (named.id === live.id) {
    return {
      ok: false,
      code: 'ROLLBACK_TARGET_IS_LIVE',
      message: `deployment ${to} is the live release of "${app}" already`,
    };
  }
  if (named.status !== 'succeeded' || named.imageId === null) {
    return {
      ok: false,
      code: 'ROLLBACK_TARGET_INVALID',
      message: `deployment ${to} cannot be rolled back to: only a succeeded deployment with a known image id can (it is ${named.status}${named.imageId === null ? ', with no image id' : ''})`,
    };
  }
  return { ok: true, target: { ...named, imageId: named.imageId } };
}
