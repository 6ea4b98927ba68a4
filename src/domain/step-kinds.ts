/**
 * The one vocabulary of deployment steps. The schema's `stepKinds`, the runner, the reconciler and
 * the text log all read it, so a new kind is one entry here (plus its step file and a migration
 * adding the value to the database enum).
 */
export const stepVocabulary = {
  pull: { section: 'docker pull', phrase: 'pull' },
  release_command: { section: 'docker release commands', phrase: 'release command' },
  start: { section: 'docker start web container', phrase: 'start' },
  probe: { section: 'startup probe', phrase: 'startup probe' },
  activate: { section: 'activate release', phrase: 'activate' },
  route: { section: 'ingress route', phrase: 'route' },
  retire: { section: 'retire previous release', phrase: 'retire' },
} as const satisfies Record<string, { section: string; phrase: string }>;

export type StepKind = keyof typeof stepVocabulary;

export const stepKinds = Object.keys(stepVocabulary) as [StepKind, ...StepKind[]];

/** Heading of the step's section in the text log ("===== docker release commands ====="). */
export function stepSection(kind: StepKind): string {
  return stepVocabulary[kind].section;
}

/** How a sentence names the step: "during release command 'migrate'", "during step startup probe". */
export function describeStepMoment(
  moment: 'before' | 'during',
  step: { kind: StepKind; label: string },
): string {
  if (step.kind === 'release_command') return `${moment} release command '${step.label}'`;
  return moment === 'during'
    ? `during step ${stepVocabulary[step.kind].phrase}`
    : `before ${step.label}`;
}
