/**
 * What every deployment step is: a small unit with an optional preflight check, a run, an
 * optional undo, and a marker for the one step that commits the release. The runner
 * (step-runner.ts) executes a plan of them; the steps themselves live in ./steps/.
 */
import type { StepKind } from '../domain/step-kinds.js';
import type { Candidate, Engine, ImageInfo, OutputStream } from '../engine/engine.js';
import type {
  ClaimedDeployment,
  DeploymentStore,
  LiveRelease,
  StepOutcome,
} from './deployment-store.js';
import type { WebPortChoice } from './web-port.js';

/** Observations for monitoring; implemented with prom-client by the worker. */
export interface PipelineMetrics {
  stepFinished(kind: StepKind, status: StepOutcome['status'], durationMs: number): void;
  probeAttempts(count: number): void;
  deploymentFinished(status: 'succeeded' | 'failed' | 'cancelled'): void;
}

/** What the steps of one deployment share; filled in as the steps run. */
export interface DeploymentContext {
  readonly deployment: ClaimedDeployment;
  readonly engine: Engine;
  readonly store: DeploymentStore;
  readonly metrics: PipelineMetrics | undefined;
  /** Variables every workload of this deployment gets: the app's, then Slipway's own on top. */
  readonly env: Record<string, string>;
  /** Set by the pull step. */
  image: ImageInfo | null;
  /** Set by the start step's preflight. */
  webPort: Extract<WebPortChoice, { ok: true }> | null;
  /** Set by the start step: the new release, until it is committed or abandoned. */
  candidate: Candidate | null;
  /** Set by the activate step: the release it replaced, for the retire step; null if none. */
  previousRelease: LiveRelease | null;
}

/** The runner's services for the step being run. */
export interface StepIo {
  readonly stepId: string;
  /** One line of the step's log. */
  log(line: string): void;
  /** Raw output of the step's workload, as it arrives. */
  write(text: string, stream?: OutputStream): void;
  /** Aborted when the step must stop at once (cancel, deadline, shutdown after the drain). */
  readonly signal: AbortSignal;
  /** The failure to throw when the signal interrupted work described by `during`. */
  interrupted(during: string): StepFailure;
}

export interface StepResult {
  exitCode?: number;
  /** Steps to run right after this one (the release commands an image declares). */
  followUps?: Step[];
}

export interface UndoResult {
  /** Workloads the undo removed, for the clean-up summary. */
  removedWorkloads: number;
}

export interface Step {
  readonly kind: StepKind;
  readonly label: string;
  /** For release commands: where the command came from. */
  readonly source: 'image' | 'app' | null;
  readonly command: string | null;
  /** Changes nothing the app depends on; preflight checks run after such steps, before any other. */
  readonly readOnly?: boolean;
  /** The commit point: once it succeeded the release is live, and nothing before it is undone. */
  readonly commits?: boolean;
  /** A reason this step cannot succeed, found before anything is changed; null when it can. */
  preflight?(context: DeploymentContext): string | null;
  run(context: DeploymentContext, io: StepIo): Promise<StepResult | undefined>;
  /** Reverts what run() left behind, when a later step (before the commit point) failed. */
  undo?(context: DeploymentContext): Promise<UndoResult>;
}

/** A step that did not succeed; carries what the deployment's failure reason should say. */
export class StepFailure extends Error {
  /** Set once a step row has been finished with this failure. */
  stepRecorded = false;

  constructor(
    readonly outcome: StepOutcome,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'StepFailure';
  }

  /** The same failure with every secret masked in its texts (they are stored and shown). */
  redacted(redact: (text: string) => string): StepFailure {
    const error = this.outcome.error == null ? this.outcome.error : redact(this.outcome.error);
    const copy = new StepFailure({ ...this.outcome, error }, redact(this.reason));
    copy.stepRecorded = this.stepRecorded;
    return copy;
  }

  /** A plain failure: the step error and the deployment's reason. */
  static of(error: string, reason: string = error, exitCode?: number | null): StepFailure {
    return new StepFailure(
      { status: 'failed', error, ...(exitCode === undefined ? {} : { exitCode }) },
      reason,
    );
  }
}

/** The value a step needs from an earlier one; its absence is a bug in the plan, not bad input. */
export function required<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`${what} is not available: the step plan is out of order`);
  return value;
}
