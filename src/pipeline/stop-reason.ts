/** Why a running deployment is being stopped before it finished by itself. */
export type StopReason =
  { kind: 'cancel' } | { kind: 'deadline'; seconds: number } | { kind: 'shutdown' };

export interface StopControl {
  /** Aborted (with a StopReason) when the current step must be interrupted at once. */
  signal: AbortSignal;
  /** A stop that lets the running step finish but starts no further step (graceful shutdown). */
  stopRequested: () => StopReason | null;
}

export function isStopReason(value: unknown): value is StopReason {
  if (typeof value !== 'object' || value === null || !('kind' in value)) return false;
  return value.kind === 'cancel' || value.kind === 'deadline' || value.kind === 'shutdown';
}

/** The outcome a stop gives the interrupted step and the deployment, and how the log says it. */
export function describeStop(
  reason: StopReason,
  /** When it struck, as a phrase: "during release command 'migrate'", "before startup probe". */
  when: string,
): { status: 'cancelled' | 'failed'; stepError: string; deploymentReason: string } {
  switch (reason.kind) {
    case 'cancel':
      return {
        status: 'cancelled',
        stepError: 'cancelled',
        deploymentReason: `cancelled ${when}`,
      };
    case 'deadline':
      return {
        status: 'failed',
        stepError: `deployment deadline of ${reason.seconds} s exceeded`,
        deploymentReason: `exceeded the deployment deadline of ${reason.seconds} s ${when}`,
      };
    case 'shutdown':
      return {
        status: 'failed',
        stepError: 'worker shut down',
        deploymentReason: `worker shut down ${when}`,
      };
  }
}
