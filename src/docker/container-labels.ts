/** Labels on every container Slipway starts, so they can be found (and cleaned up) by owner. */
export const labelKeys = {
  managed: 'io.slipway.managed',
  /** Which Slipway installation owns it, so several can share one Docker engine safely. */
  instance: 'io.slipway.instance',
  app: 'io.slipway.app',
  deployment: 'io.slipway.deployment',
  step: 'io.slipway.step',
  role: 'io.slipway.role',
  /** Web containers: which replica of its release's set it is (1-based) … */
  replica: 'io.slipway.replica',
  /** … and how many the set has (src/docker/web-set.ts). */
  replicas: 'io.slipway.replicas',
} as const;

export type ContainerRole = 'release' | 'web';

export function containerLabels(input: {
  instance: string;
  app: string;
  deploymentId: string;
  role: ContainerRole;
  stepId?: string;
}): Record<string, string> {
  return {
    [labelKeys.managed]: 'true',
    [labelKeys.instance]: input.instance,
    [labelKeys.app]: input.app,
    [labelKeys.deployment]: input.deploymentId,
    [labelKeys.role]: input.role,
    ...(input.stepId === undefined ? {} : { [labelKeys.step]: input.stepId }),
  };
}
