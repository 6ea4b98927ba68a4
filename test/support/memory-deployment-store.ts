/**
 * The worker's stores in memory, for unit tests of the runner against the fake engine. Each
 * method does what the PostgreSQL implementation's contract says, and no more.
 */
import { resourceDefaults } from '../../src/domain/resource-limits.js';
import { webContainerDefaults } from '../../src/schemas/settings.js';
import type {
  ClaimedDeployment,
  DeploymentStore,
  LiveRelease,
  LogChunkToStore,
  LogStore,
  ReleaseToActivate,
  StepOutcome,
  StoredStep,
} from '../../src/pipeline/deployment-store.js';

export interface MemoryStep extends StoredStep {
  status: 'pending' | 'running' | StepOutcome['status'] | 'skipped';
  exitCode: number | null;
  error: string | null;
}

export function createMemoryStores() {
  const steps: MemoryStep[] = [];
  const chunks: LogChunkToStore[] = [];
  const releases = new Map<string, ReleaseToActivate>();
  const finished = new Map<string, { status: string; reason: string | null }>();
  const events: string[] = [];
  /** Retained releases by deployment id; `at` orders them (higher is newer). */
  const retained = new Map<
    string,
    { applicationId: string; release: LiveRelease; workloadRef: string; at: number }
  >();
  let retainCounter = 0;
  let nextStepId = 0;
  /** Operations that fail next time they are called (storage trouble past its retries). */
  const failing = new Map<keyof DeploymentStore, number>();

  const failIfAsked = (operation: keyof DeploymentStore) => {
    const left = failing.get(operation) ?? 0;
    if (left > 0) {
      failing.set(operation, left - 1);
      throw new Error(`${operation}: Can't reach database server at 10.0.0.1:5432`);
    }
  };

  const store: DeploymentStore = {
    claim: () => Promise.reject(new Error('not used here')),
    heartbeat: () => Promise.reject(new Error('not used here')),
    addSteps(deploymentId, planned, afterPosition) {
      const mine = steps.filter((step) => step.id.startsWith(`${deploymentId}/`));
      const first = afterPosition === undefined ? mine.length : afterPosition + 1;
      for (const step of mine) if (step.position >= first) step.position += planned.length;
      const created = planned.map((step, index) => {
        const stored: MemoryStep = {
          ...step,
          id: `${deploymentId}/${(nextStepId += 1)}`,
          position: first + index,
          status: 'pending',
          exitCode: null,
          error: null,
        };
        steps.push(stored);
        return stored;
      });
      return Promise.resolve(
        created.map(({ status: _s, exitCode: _e, error: _r, ...rest }) => rest),
      );
    },
    startStep(stepId) {
      const step = find(stepId);
      step.status = 'running';
      events.push(`start ${step.label}`);
      return Promise.resolve();
    },
    finishStep(stepId, outcome) {
      failIfAsked('finishStep');
      const step = find(stepId);
      step.status = outcome.status;
      step.exitCode = outcome.exitCode ?? null;
      step.error = outcome.error ?? null;
      events.push(`${outcome.status} ${step.label}`);
      return Promise.resolve();
    },
    skipPendingSteps(deploymentId) {
      for (const step of ordered(deploymentId))
        if (step.status === 'pending') step.status = 'skipped';
      return Promise.resolve();
    },
    recordImage: () => Promise.resolve(),
    currentRelease(applicationId) {
      const release = releases.get(applicationId);
      return Promise.resolve(release === undefined ? null : liveOf(release));
    },
    activateRelease(release): Promise<LiveRelease | null> {
      failIfAsked('activateRelease');
      const previous = releases.get(release.applicationId);
      releases.set(release.applicationId, release);
      for (const [id, kept] of retained)
        if (kept.workloadRef === release.workloadRef) retained.delete(id);
      events.push(`activated ${release.workloadRef}`);
      return Promise.resolve(previous === undefined ? null : liveOf(previous));
    },
    finishDeployment(deploymentId, status, reason) {
      finished.set(deploymentId, { status, reason });
      return Promise.resolve();
    },
    retainedRelease: (deploymentId) => Promise.resolve(retained.get(deploymentId)?.release ?? null),
    retainRelease(applicationId, release) {
      retained.set(release.deploymentId, {
        applicationId,
        release,
        workloadRef: release.workloadRef,
        at: (retainCounter += 1),
      });
      return Promise.resolve();
    },
    retainedReleases: (applicationId) =>
      Promise.resolve(
        [...retained.values()]
          .filter((kept) => kept.applicationId === applicationId)
          .sort((a, b) => b.at - a.at)
          .map((kept) => kept.release),
      ),
    forgetRetained(workloadRef) {
      for (const [id, kept] of retained) if (kept.workloadRef === workloadRef) retained.delete(id);
      return Promise.resolve();
    },
  };

  const logs: LogStore = {
    append(batch) {
      chunks.push(...batch);
      return Promise.resolve(
        batch.map((_, index) => BigInt(chunks.length - batch.length + index + 1)),
      );
    },
    dropTail: () => Promise.resolve(),
  };

  function find(stepId: string): MemoryStep {
    const step = steps.find((candidate) => candidate.id === stepId);
    if (step === undefined) throw new Error(`no step ${stepId}`);
    return step;
  }

  function ordered(deploymentId: string): MemoryStep[] {
    return steps
      .filter((step) => step.id.startsWith(`${deploymentId}/`))
      .sort((a, b) => a.position - b.position);
  }

  return {
    store,
    logs,
    releases,
    retained,
    finished,
    /** "start pull x", "succeeded pull x", "activated fake-0002", … in the order they happened. */
    events,
    steps: ordered,
    /** The deployment's log text, step output and deployment-level lines together. */
    logText: (deploymentId: string) =>
      chunks
        .filter((chunk) => chunk.deploymentId === deploymentId)
        .map((chunk) => chunk.text)
        .join(''),
    failNext(operation: keyof DeploymentStore, times = 1) {
      failing.set(operation, times);
    },
  };
}

export function claimedDeployment(overrides: Partial<ClaimedDeployment> = {}): ClaimedDeployment {
  return {
    id: 'd1',
    app: 'shop',
    applicationId: 'app-1',
    image: 'web:1',
    rollback: null,
    settings: {
      webContainer: { port: null, ...webContainerDefaults },
      startupProbe: {
        startupTimeoutSeconds: 5,
        probeTimeoutSeconds: 1,
        maxRetries: 10,
        intervalMs: 50,
        path: '/',
      },
      resources: resourceDefaults,
      releaseCommands: [],
    },
    hostnames: [],
    env: {},
    secretValues: [],
    registryCredentials: null,
    ...overrides,
  };
}

function liveOf(release: ReleaseToActivate): LiveRelease {
  return {
    deploymentId: release.deploymentId,
    workloadRef: release.workloadRef,
    imageId: release.imageId,
    webPort: release.webPort,
    envFingerprint: release.envFingerprint,
  };
}
