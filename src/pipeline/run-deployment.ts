import type { Logger } from 'pino';
import { formatDuration } from '../domain/render-deployment-log.js';
import { containerLabels, labelKeys } from './container-labels.js';
import type { DeploymentEvents } from './deployment-events.js';
import type { ContainerRuntime, ImageInfo, StartedContainer } from './container-runtime.js';
import { RuntimeError } from './container-runtime.js';
import type {
  ClaimedDeployment,
  DeploymentStore,
  LogStore,
  PlannedStep,
  StepOutcome,
  StoredStep,
} from './deployment-store.js';
import { probeOnce, type ProbeAttempt } from './http-probe.js';
import { readDeclaredCommands } from './image-release-commands.js';
import { createLogWriter } from './log-writer.js';
import { runStartupProbe } from './startup-probe.js';
import { describeStop, isStopReason, type StopControl, type StopReason } from './stop-reason.js';
import { chooseWebPort } from './web-port.js';

export interface PipelineDependencies {
  store: DeploymentStore;
  logs: LogStore;
  runtime: ContainerRuntime;
  /** Labels every container with this installation's name (SLIPWAY_INSTANCE). */
  instance: string;
  /** Docker network for release and web containers (DEPLOY_NETWORK); undefined = default bridge. */
  network: string | undefined;
  logger: Logger;
  probeAttempt?: (url: string, timeoutMs: number) => Promise<ProbeAttempt>;
  logLimits?: { flushIntervalMs?: number; headBytes?: number; tailBytes?: number };
  metrics?: PipelineMetrics;
  events?: DeploymentEvents;
}

/** Observations for monitoring; implemented with prom-client by the worker. */
export interface PipelineMetrics {
  stepFinished(kind: StoredStep['kind'], status: StepOutcome['status'], durationMs: number): void;
  probeAttempts(count: number): void;
  deploymentFinished(status: PipelineOutcome): void;
}

export type PipelineOutcome = 'succeeded' | 'failed' | 'cancelled';

/** A step that did not succeed; carries what the deployment's failure reason should say. */
class StepFailure extends Error {
  /** Set once a step row has been finished with this failure. */
  stepRecorded = false;

  constructor(
    readonly outcome: StepOutcome,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'StepFailure';
  }
}

/** Settles with `work`, or rejects as soon as the signal aborts (the work itself is left to finish). */
function abortable<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => Error,
): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      reject(onAbort());
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', abort);
    });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Carries one claimed deployment through pull → release commands → start → probe → activate.
 * The previous release is only touched after the new one is live; on any failure every container
 * this deployment created is removed and the previous release keeps serving.
 */
export async function runDeployment(
  deployment: ClaimedDeployment,
  deps: PipelineDependencies,
  control?: StopControl,
): Promise<PipelineOutcome> {
  const { store, runtime } = deps;
  const signal = control?.signal;
  const logger = deps.logger.child({ deploymentId: deployment.id, app: deployment.app });
  const log = createLogWriter({
    deploymentId: deployment.id,
    store: deps.logs,
    ...deps.logLimits,
    secrets: deployment.secretValues,
    onFlushError: (error) => {
      logger.error({ err: error }, 'could not store deployment log output; will retry');
    },
  });
  const { settings } = deployment;
  let webContainer: StartedContainer | null = null;

  const planned: PlannedStep[] = [
    { kind: 'pull', label: `pull ${deployment.image}`, source: null, command: null },
    ...settings.releaseCommands.map((command) => ({
      kind: 'release_command' as const,
      label: command.label,
      source: 'app' as const,
      command: command.command,
    })),
    { kind: 'start', label: 'start web container', source: null, command: null },
    { kind: 'probe', label: 'startup probe', source: null, command: null },
    { kind: 'activate', label: 'activate release', source: null, command: null },
  ];

  /** A stop that arrived while no step ran: the next step never starts (it ends up skipped). */
  function throwIfStopped(next: StoredStep): void {
    const reason = isStopReason(signal?.reason)
      ? signal.reason
      : (control?.stopRequested() ?? null);
    if (reason === null) return;
    const what = next.kind === 'release_command' ? `release command '${next.label}'` : next.label;
    const stop = describeStop(reason, `before ${what}`);
    throw new StepFailure({ status: stop.status, error: stop.stepError }, stop.deploymentReason);
  }

  /** The failure for work interrupted by the abort signal while `during` was running. */
  function interrupted(during: string): StepFailure {
    const reason: StopReason = isStopReason(signal?.reason) ? signal.reason : { kind: 'cancel' };
    const stop = describeStop(reason, `during ${during}`);
    return new StepFailure({ status: stop.status, error: stop.stepError }, stop.deploymentReason);
  }

  async function runStep<T>(
    step: StoredStep,
    body: () => Promise<T>,
    success: StepOutcome = { status: 'succeeded' },
  ): Promise<T> {
    throwIfStopped(step);
    logger.info({ step: step.label, kind: step.kind }, 'step started');
    await store.startStep(step.id);
    const startedAt = performance.now();
    try {
      const result = await body();
      await log.flush();
      await store.finishStep(step.id, success);
      deps.events?.stepFinished(deployment.id, step.id);
      deps.metrics?.stepFinished(step.kind, 'succeeded', performance.now() - startedAt);
      return result;
    } catch (error) {
      const failure =
        error instanceof StepFailure
          ? error
          : new StepFailure(
              { status: 'failed', error: describe(error) },
              `${step.label} failed: ${describe(error)}`,
            );
      if (failure.outcome.error != null) log.line(step.id, failure.outcome.error);
      await log.flush();
      await store.finishStep(step.id, failure.outcome);
      deps.events?.stepFinished(deployment.id, step.id);
      failure.stepRecorded = true;
      deps.metrics?.stepFinished(step.kind, failure.outcome.status, performance.now() - startedAt);
      logger.warn({ step: step.label, reason: failure.reason }, 'step did not succeed');
      throw failure;
    }
  }

  try {
    const steps = await store.addSteps(deployment.id, planned);
    deps.events?.deploymentStarted(deployment.id);
    const [pullStep, ...rest] = steps;
    if (pullStep === undefined) throw new Error('no steps were planned');
    const startStep = rest.find((step) => step.kind === 'start');
    const probeStep = rest.find((step) => step.kind === 'probe');
    const activateStep = rest.find((step) => step.kind === 'activate');
    if (startStep === undefined || probeStep === undefined || activateStep === undefined) {
      throw new Error('step plan is incomplete');
    }

    const image = await runStep(pullStep, () => pull(pullStep));
    const declared = readDeclaredCommands(image.labels);
    if (!declared.ok) {
      throw new StepFailure({ status: 'failed', error: declared.error }, declared.error);
    }
    const timeouts = new Map<string, number>();
    const imageSteps = await store.addSteps(
      deployment.id,
      declared.commands.map((command) => ({
        kind: 'release_command' as const,
        label: command.label,
        source: 'image' as const,
        command: command.command,
      })),
      pullStep.position,
    );
    for (const [index, step] of imageSteps.entries()) {
      timeouts.set(step.id, declared.commands[index]?.timeoutSeconds ?? 1800);
    }
    const appSteps = rest.filter((step) => step.kind === 'release_command');
    for (const [index, step] of appSteps.entries()) {
      timeouts.set(step.id, settings.releaseCommands[index]?.timeoutSeconds ?? 1800);
    }

    if (!chooseWebPort(settings.webContainer.port, image.exposedTcpPorts).ok) {
      // Without a port it can never start: fail its start step now (start() fails before starting
      // anything), so no release command, a migration say, changes anything for it first.
      await runStep(startStep, () => start(startStep, image));
    }
    for (const step of [...imageSteps, ...appSteps]) {
      await runStep(step, () => releaseCommand(step, image, timeouts.get(step.id) ?? 1800), {
        status: 'succeeded',
        exitCode: 0,
      });
    }
    webContainer = await runStep(startStep, () => start(startStep, image));
    const started = webContainer;
    await runStep(probeStep, () => probe(probeStep, started));
    await runStep(activateStep, () => activate(activateStep, image, started));

    log.line(null, `deployment ${deployment.id} is live`);
    await finish('succeeded', null);
    return 'succeeded';
  } catch (error) {
    const failure = error instanceof StepFailure ? error : null;
    const cancelled = failure?.outcome.status === 'cancelled';
    if (error instanceof StepFailure && failure !== null && !failure.stepRecorded) {
      // Stopped between steps: no step carries the reason, so the log says it at deployment level.
      log.line(null, failure.reason);
    }
    const reason = failure?.reason ?? `internal error: ${describe(error)}`;
    if (failure === null) logger.error({ err: error }, 'deployment crashed');
    await cleanUpAfterFailure(webContainer, cancelled ? 'cancelled' : 'failed', reason);
    await finish(cancelled ? 'cancelled' : 'failed', reason);
    return cancelled ? 'cancelled' : 'failed';
  }

  async function pull(step: StoredStep): Promise<ImageInfo> {
    try {
      const image = await abortable(
        runtime.pullImage(
          deployment.image,
          (line) => {
            log.line(step.id, line);
          },
          deployment.registryCredentials ?? undefined,
        ),
        signal,
        () => interrupted(step.label),
      );
      log.line(
        step.id,
        `image id ${image.id}${image.repoDigest === null ? '' : ` (${image.repoDigest})`}`,
      );
      await store.recordImage(deployment.id, image.id, image.repoDigest);
      return image;
    } catch (error) {
      if (error instanceof RuntimeError) {
        throw new StepFailure(
          { status: 'failed', error: error.message },
          `pull failed: ${error.message}`,
        );
      }
      throw error;
    }
  }

  async function releaseCommand(step: StoredStep, image: ImageInfo, timeoutSeconds: number) {
    log.line(step.id, `$ ${step.command ?? ''}`);
    const result = await runtime.runCommand({
      image: image.id,
      command: step.command ?? '',
      labels: containerLabels({
        instance: deps.instance,
        app: deployment.app,
        deploymentId: deployment.id,
        role: 'release',
        stepId: step.id,
      }),
      // The app's variables first, so what Slipway sets itself always wins.
      env: {
        ...deployment.env,
        SLIPWAY_APP: deployment.app,
        SLIPWAY_DEPLOYMENT_ID: deployment.id,
        SLIPWAY_RELEASE_COMMAND: '1',
      },
      network: deps.network,
      timeoutMs: timeoutSeconds * 1000,
      onOutput: (text) => {
        log.write(step.id, text);
      },
      ...(signal === undefined ? {} : { signal }),
    });
    const what = `release command '${step.label}'`;
    switch (result.outcome) {
      case 'exited':
        if (result.exitCode === 0) return;
        throw new StepFailure(
          {
            status: 'failed',
            exitCode: result.exitCode,
            error: `exited with code ${result.exitCode}`,
          },
          `${what} exited with code ${result.exitCode}`,
        );
      case 'timed-out':
        throw new StepFailure(
          { status: 'failed', error: `timed out after ${timeoutSeconds} s` },
          `${what} timed out after ${timeoutSeconds} s`,
        );
      case 'aborted':
        throw interrupted(what);
    }
  }

  async function start(step: StoredStep, image: ImageInfo): Promise<StartedContainer> {
    const choice = chooseWebPort(settings.webContainer.port, image.exposedTcpPorts);
    if (!choice.ok) throw new StepFailure({ status: 'failed', error: choice.error }, choice.error);
    log.line(
      step.id,
      `web port ${choice.port} (from ${choice.source === 'settings' ? 'app settings' : 'image EXPOSE'})`,
    );
    const container = await runtime.startWebContainer({
      image: image.id,
      name: `slipway-${deployment.app}-${deployment.id.slice(0, 8)}`,
      labels: containerLabels({
        instance: deps.instance,
        app: deployment.app,
        deploymentId: deployment.id,
        role: 'web',
      }),
      env: {
        ...deployment.env,
        SLIPWAY_APP: deployment.app,
        SLIPWAY_DEPLOYMENT_ID: deployment.id,
        PORT: String(choice.port),
      },
      containerPort: choice.port,
      network: deps.network,
    });
    webContainer = container;
    log.line(
      step.id,
      `started container ${container.containerId.slice(0, 12)}, port ${choice.port} published on 127.0.0.1:${container.hostPort}`,
    );
    return container;
  }

  async function probe(step: StoredStep, container: StartedContainer): Promise<void> {
    const result = await runStartupProbe({
      url: `http://127.0.0.1:${container.hostPort}${settings.startupProbe.path}`,
      settings: settings.startupProbe,
      attempt: deps.probeAttempt ?? probeOnce,
      containerState: () => runtime.containerState(container.containerId),
      log: (line) => {
        log.line(step.id, line);
      },
      ...(signal === undefined ? {} : { signal }),
    });
    const probeSettings = settings.startupProbe;
    deps.metrics?.probeAttempts(result.attempts);
    switch (result.outcome) {
      case 'ready':
        log.line(
          step.id,
          `ready after ${result.attempts} attempt(s) in ${formatDuration(result.elapsedMs)}`,
        );
        return;
      case 'timed-out': {
        const error = `not ready within ${probeSettings.startupTimeoutSeconds} s (${result.attempts} attempts)`;
        throw new StepFailure({ status: 'failed', error }, `web container ${error}`);
      }
      case 'retries-exhausted': {
        const error = `not ready after ${result.attempts} attempts (maxRetries ${probeSettings.maxRetries})`;
        throw new StepFailure({ status: 'failed', error }, `web container ${error}`);
      }
      case 'container-exited': {
        const tail = await runtime.logTail(container.containerId, 50).catch((error: unknown) => {
          return `(could not read its logs: ${describe(error)})`;
        });
        log.line(
          step.id,
          `container exited with code ${result.exitCode ?? 'unknown'}; its last 50 log lines:`,
        );
        log.write(step.id, tail.endsWith('\n') || tail === '' ? tail : `${tail}\n`);
        const error = `web container exited with code ${result.exitCode ?? 'unknown'} while being probed`;
        throw new StepFailure({ status: 'failed', exitCode: result.exitCode, error }, error);
      }
      case 'aborted':
        throw interrupted('the startup probe');
    }
  }

  async function activate(step: StoredStep, image: ImageInfo, container: StartedContainer) {
    await runtime.keepRunning(container.containerId);
    const previous = await store.activateRelease({
      deploymentId: deployment.id,
      applicationId: deployment.applicationId,
      image: deployment.image,
      imageId: image.id,
      containerId: container.containerId,
      containerPort: settings.webContainer.port ?? image.exposedTcpPorts[0] ?? 0,
      hostPort: container.hostPort,
    });
    log.line(step.id, `container ${container.containerId.slice(0, 12)} is now the live release`);
    if (previous === null || previous.containerId === container.containerId) {
      log.line(step.id, 'no previous release to retire');
      return;
    }
    try {
      await runtime.removeContainer(previous.containerId);
      log.line(
        step.id,
        `retired previous release ${previous.deploymentId} (container ${previous.containerId.slice(0, 12)})`,
      );
    } catch (error) {
      // The new release is live either way; a leftover container is an orphan to clean up, not a failed deploy.
      log.line(
        step.id,
        `warning: could not remove previous container ${previous.containerId.slice(0, 12)}: ${describe(error)}`,
      );
      logger.warn(
        { err: error, containerId: previous.containerId },
        'could not retire previous release',
      );
    }
  }

  async function cleanUpAfterFailure(
    container: StartedContainer | null,
    outcome: 'failed' | 'cancelled',
    reason: string,
  ) {
    try {
      await store.skipPendingSteps(deployment.id);
      log.line(null, `deployment ${outcome}: ${reason}`);
      const leftovers = await runtime.listContainers({ [labelKeys.deployment]: deployment.id });
      const ids = new Set(leftovers.map((c) => c.id));
      if (container !== null) ids.add(container.containerId);
      for (const id of ids) await runtime.removeContainer(id);
      log.line(
        null,
        ids.size === 0
          ? 'no containers to clean up'
          : `removed ${ids.size} container(s) of this deployment`,
      );
      const previous = await store.currentRelease(deployment.applicationId);
      log.line(
        null,
        previous === null
          ? 'no previous release: the application has nothing live'
          : `previous release ${previous.deploymentId} (container ${previous.containerId.slice(0, 12)}) left running untouched`,
      );
    } catch (error) {
      logger.error({ err: error }, 'clean-up after a failed deployment did not complete');
      log.line(null, `warning: clean-up did not complete: ${describe(error)}`);
    }
  }

  async function finish(status: PipelineOutcome, reason: string | null) {
    await log.close();
    await store.finishDeployment(deployment.id, status, reason);
    deps.metrics?.deploymentFinished(status);
    deps.events?.deploymentFinished(deployment.id, status);
    logger.info({ status, reason }, 'deployment finished');
  }
}
