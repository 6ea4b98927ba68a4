/**
 * Runs a plan of steps: records each start and finish, maps errors to step failures, honours
 * cancel / deadline / drain, runs every preflight check before anything changes, and on a
 * failure before the commit point undoes, in reverse order, what the steps before it left behind.
 * After the commit point the release is live: stops are no longer honoured and nothing is undone.
 */
import type { Logger } from 'pino';
import { describeStepMoment } from '../domain/step-kinds.js';
import { EngineError } from '../engine/engine-error.js';
import type { DeploymentEvents } from './deployment-events.js';
import type { DeploymentStore, StepOutcome, StoredStep } from './deployment-store.js';
import type { LogWriter } from './log-writer.js';
import { StepFailure, type DeploymentContext, type Step, type StepIo } from './step.js';
import { describeStop, isStopReason, type StopControl, type StopReason } from './stop-reason.js';

export interface StepRunnerDependencies {
  store: DeploymentStore;
  log: LogWriter;
  logger: Logger;
  control: StopControl;
  events?: DeploymentEvents;
}

export type PlanOutcome =
  | { outcome: 'succeeded' }
  | {
      outcome: 'failed' | 'cancelled';
      failure: StepFailure;
      /** Workloads the undo steps removed. */
      removedWorkloads: number;
    };

interface PlannedEntry {
  step: Step;
  stored: StoredStep;
}

/** A signal that never aborts: work after the commit point runs to its end. */
const neverAborted = new AbortController().signal;

export async function runPlan(
  plan: Step[],
  context: DeploymentContext,
  deps: StepRunnerDependencies,
): Promise<PlanOutcome> {
  const { store } = deps;
  const deploymentId = context.deployment.id;
  const done: PlannedEntry[] = [];
  // An object, not a `let`: the commit is marked from a callback, where narrowing cannot see it.
  const progress = { committed: false };
  let preflighted = false;
  try {
    const stored = await store.addSteps(deploymentId, plan.map(toPlanned));
    deps.events?.deploymentStarted(deploymentId);
    const entries: PlannedEntry[] = plan.map((step, index) => ({
      step,
      stored: required(stored[index]),
    }));
    for (let index = 0; index < entries.length; index += 1) {
      const entry = required(entries[index]);
      if (!progress.committed) throwIfStopped(entry.stored, deps.control);
      if (!preflighted && entry.step.readOnly !== true) {
        preflighted = true;
        await runPreflights(entries.slice(index), context, deps);
      }
      const signal = progress.committed ? neverAborted : deps.control.signal;
      const result = await execute(entry, context, deps, signal, {
        // Its work is done even if storing that fails: undo must see it, and a commit stands.
        workDone: () => {
          done.push(entry);
          if (entry.step.commits === true) progress.committed = true;
        },
      });
      const followUps = result?.followUps ?? [];
      if (followUps.length > 0) {
        const added = await store.addSteps(
          deploymentId,
          followUps.map(toPlanned),
          entry.stored.position,
        );
        entries.splice(
          index + 1,
          0,
          ...followUps.map((step, at) => ({ step, stored: required(added[at]) })),
        );
      }
    }
    return { outcome: 'succeeded' };
  } catch (error) {
    const failure = toFailure(error, null).redacted(deps.log.redact);
    if (progress.committed) {
      // Nothing after the commit point may take the live release down; the reconciler repairs it.
      deps.logger.error({ err: error }, 'a step after the commit point failed');
      deps.log.line(null, `warning: the release is live, but ${failure.reason}`);
      // The steps after it never run (a retire left undone is the reconciler's orphan).
      await store.skipPendingSteps(deploymentId).catch((skipError: unknown) => {
        deps.logger.error({ err: skipError }, 'could not mark the remaining steps skipped');
      });
      return { outcome: 'succeeded' };
    }
    if (!failure.stepRecorded) {
      // Stopped between steps: no step carries the reason, so the log says it at deployment level.
      deps.log.line(null, failure.reason);
    }
    const removedWorkloads = await undo(done, context, deps);
    return {
      outcome: failure.outcome.status === 'cancelled' ? 'cancelled' : 'failed',
      failure,
      removedWorkloads,
    };
  }
}

/** Waits between tries to store a finished step's outcome while the database is away. */
const storageWaitMs = { first: 1000, max: 10_000 };

/**
 * The store's own retries gave up (a long database outage): the step's work is done, so its
 * outcome is stored once the database is back, and the deployment goes on from there. Only a
 * stop (cancel, the deadline, shutdown) ends the wait; the step is then never recorded as failed.
 */
async function recordWhenStorageIsBack(
  stored: StoredStep,
  success: StepOutcome,
  firstError: unknown,
  deps: StepRunnerDependencies,
): Promise<void> {
  const { signal } = deps.control;
  deps.logger.error(
    { err: firstError, step: stored.label },
    'cannot store the outcome of a finished step; waiting for the database',
  );
  let wait = storageWaitMs.first;
  // Bounded by the deployment deadline, which aborts the signal.
  while (!isAborted(signal)) {
    await pause(wait, signal);
    if (isAborted(signal)) break;
    wait = Math.min(wait * 2, storageWaitMs.max);
    try {
      await deps.log.flush();
      await deps.store.finishStep(stored.id, success);
      deps.logger.warn({ step: stored.label }, 'stored the outcome of the step after the outage');
      return;
    } catch (error) {
      deps.logger.warn({ err: error, step: stored.label }, 'database still unreachable');
    }
  }
  throw new UnrecordedSuccess(stored, success, firstError);
}

/** A function, so that the check is made anew after each await. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function toPlanned(step: Step) {
  return { kind: step.kind, label: step.label, source: step.source, command: step.command };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the stored steps do not match the plan');
  return value;
}

/** A stop that arrived while no step ran: the next step never starts (it ends up skipped). */
function throwIfStopped(next: StoredStep, control: StopControl): void {
  const reason = isStopReason(control.signal.reason)
    ? control.signal.reason
    : control.stopRequested();
  if (reason === null) return;
  const stop = describeStop(reason, describeStepMoment('before', next));
  throw new StepFailure({ status: stop.status, error: stop.stepError }, stop.deploymentReason);
}

/** Every remaining step's preflight, before the first step that changes anything runs. */
async function runPreflights(
  entries: PlannedEntry[],
  context: DeploymentContext,
  deps: StepRunnerDependencies,
): Promise<void> {
  for (const entry of entries) {
    const problem = entry.step.preflight?.(context) ?? null;
    if (problem === null) continue;
    // The step that cannot succeed fails now, before a release command (a migration, say) runs.
    await execute(entry, context, deps, deps.control.signal, {
      body: () => {
        throw StepFailure.of(problem);
      },
    });
  }
}

async function execute(
  entry: PlannedEntry,
  context: DeploymentContext,
  deps: StepRunnerDependencies,
  signal: AbortSignal,
  options: {
    /** Replaces the step's run (a failed preflight). */
    body?: () => never;
    /** Called as soon as the step's work is done, before its outcome is stored. */
    workDone?: () => void;
  } = {},
) {
  const { body, workDone } = options;
  const { stored, step } = entry;
  const { store, log, logger } = deps;
  const io = stepIo(stored, log, signal);
  logger.info({ step: stored.label, kind: stored.kind }, 'step started');
  await store.startStep(stored.id);
  const startedAt = performance.now();
  let result: Awaited<ReturnType<Step['run']>>;
  try {
    result = body === undefined ? await step.run(context, io) : body();
  } catch (error) {
    // An engine's message may echo a secret (a registry repeating its credentials).
    const failure = toFailure(error, stored.label).redacted(log.redact);
    if (failure.outcome.error != null) log.line(stored.id, failure.outcome.error);
    await log.flush();
    await store.finishStep(stored.id, failure.outcome);
    deps.events?.stepFinished(context.deployment.id, stored.id);
    failure.stepRecorded = true;
    context.metrics?.stepFinished(
      stored.kind,
      failure.outcome.status,
      performance.now() - startedAt,
    );
    logger.warn({ step: stored.label, reason: failure.reason }, 'step did not succeed');
    throw failure;
  }
  workDone?.();
  // The work is done: if storing that fails, the step must not be recorded as failed instead.
  const success: StepOutcome = { status: 'succeeded', ...pickExitCode(result?.exitCode) };
  try {
    await log.flush();
    await store.finishStep(stored.id, success);
  } catch (error) {
    await recordWhenStorageIsBack(stored, success, error, deps);
  }
  deps.events?.stepFinished(context.deployment.id, stored.id);
  context.metrics?.stepFinished(stored.kind, 'succeeded', performance.now() - startedAt);
  return result;
}

/** A step whose work succeeded but whose outcome could not be stored (storage past its retries). */
class UnrecordedSuccess extends Error {
  constructor(
    readonly stored: StoredStep,
    readonly success: StepOutcome,
    cause: unknown,
  ) {
    super(`could not record the outcome of ${stored.label}`, { cause });
    this.name = 'UnrecordedSuccess';
  }
}

function pickExitCode(exitCode: number | undefined): { exitCode?: number } {
  return exitCode === undefined ? {} : { exitCode };
}

function stepIo(stored: StoredStep, log: LogWriter, signal: AbortSignal): StepIo {
  return {
    stepId: stored.id,
    log: (line) => {
      log.line(stored.id, line);
    },
    write: (text, stream) => {
      log.write(stored.id, text, stream);
    },
    signal,
    interrupted(during) {
      const reason: StopReason = isStopReason(signal.reason) ? signal.reason : { kind: 'cancel' };
      const stop = describeStop(reason, `during ${during}`);
      return new StepFailure({ status: stop.status, error: stop.stepError }, stop.deploymentReason);
    },
  };
}

/**
 * Any error as a step failure. Unexpected errors (a bug, storage trouble past its retries) are
 * not shown as they are: their text may carry driver details; the worker's log has them.
 */
function toFailure(error: unknown, stepLabel: string | null): StepFailure {
  if (error instanceof StepFailure) return error;
  if (error instanceof UnrecordedSuccess) {
    return StepFailure.of(
      'storage unavailable',
      `${error.stored.label} succeeded, but its outcome could not be stored (storage unavailable)`,
    );
  }
  if (error instanceof EngineError) {
    const where = stepLabel === null ? '' : `${stepLabel} failed: `;
    return StepFailure.of(error.message, `${where}${error.message}`);
  }
  const where = stepLabel === null ? 'deployment' : stepLabel;
  return StepFailure.of('internal error (see the worker log)', `${where} failed: internal error`);
}

/** Undoes the finished steps in reverse order; an undo that fails is logged and the rest go on. */
async function undo(
  done: PlannedEntry[],
  context: DeploymentContext,
  deps: StepRunnerDependencies,
): Promise<number> {
  let removed = 0;
  for (const { step, stored } of [...done].reverse()) {
    if (step.undo === undefined) continue;
    try {
      removed += (await step.undo(context)).removedWorkloads;
    } catch (error) {
      deps.logger.error({ err: error, step: stored.label }, 'undo did not complete');
      deps.log.line(null, `warning: could not undo ${stored.label}: ${describe(error)}`);
    }
  }
  return removed;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
