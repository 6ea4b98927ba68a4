import type { Deployment, DeploymentStep } from '../schemas/deployment.js';
import { formatDuration } from './format-duration.js';
import { stepSection } from './step-kinds.js';

export interface StoredLogChunk {
  stepId: string | null;
  part: 'head' | 'tail';
  text: string;
}

/** Everything the text log of one deployment is rendered from. */
export interface DeploymentLogData {
  deployment: Deployment;
  /** Bytes cut from the middle of each step's log (by step id). */
  omittedBytes: Map<string, number>;
  /** The shell command of each release-command step (by step id). */
  commands: Map<string, string | null>;
  chunks: StoredLogChunk[];
}

function ensureNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

function stepOutput(
  stepId: string,
  data: DeploymentLogData,
  byStep: Map<string, StoredLogChunk[]>,
) {
  const chunks = byStep.get(stepId) ?? [];
  const head = chunks.filter((chunk) => chunk.part === 'head').map((chunk) => chunk.text);
  const tail = chunks.filter((chunk) => chunk.part === 'tail').map((chunk) => chunk.text);
  const omitted = data.omittedBytes.get(stepId) ?? 0;
  const cut = omitted > 0 ? `\n[… ${omitted} bytes of output omitted …]\n` : '';
  return ensureNewline(ensureNewline(head.join('')) + cut + tail.join(''));
}

function stepOutcome(step: DeploymentStep): string {
  const took = step.durationMs === null ? '' : ` in ${formatDuration(step.durationMs)}`;
  const exit = step.exitCode === null ? '' : ` (exit code ${step.exitCode})`;
  const why = step.error === null ? '' : `: ${step.error}`;
  return `${step.status}${exit}${took}${why}`;
}

/**
 * The whole deployment as one text document: each step under its section heading, release
 * commands introduced by their labels, and a closing line with the outcome and total time.
 */
export function renderDeploymentLog(data: DeploymentLogData): string {
  const { deployment } = data;
  const byStep = new Map<string, StoredLogChunk[]>();
  const deploymentLevel: string[] = [];
  for (const chunk of data.chunks) {
    if (chunk.stepId === null) {
      deploymentLevel.push(chunk.text);
      continue;
    }
    const list = byStep.get(chunk.stepId) ?? [];
    list.push(chunk);
    byStep.set(chunk.stepId, list);
  }

  const lines: string[] = [
    `Deployment ${deployment.id} of ${deployment.app}: ${deployment.image}`,
    `Triggered ${deployment.createdAt}`,
  ];
  let openSection: string | null = null;
  for (const step of deployment.steps) {
    const section = stepSection(step.kind);
    if (section !== openSection) {
      lines.push('', `===== ${section} =====`);
      openSection = section;
    }
    if (step.kind === 'release_command') {
      const command = data.commands.get(step.id) ?? '';
      lines.push(`----- ${step.label} (from ${step.source ?? 'app'}): ${command} -----`);
    }
    const output = stepOutput(step.id, data, byStep);
    if (output !== '') lines.push(output.replace(/\n$/, ''));
    lines.push(
      step.kind === 'release_command'
        ? `----- ${step.label}: ${stepOutcome(step)} -----`
        : `-> ${stepOutcome(step)}`,
    );
  }
  if (deploymentLevel.length > 0) {
    lines.push(
      '',
      '===== deployment =====',
      ensureNewline(deploymentLevel.join('')).replace(/\n$/, ''),
    );
  }
  lines.push('', outcomeLine(deployment));
  return `${lines.join('\n')}\n`;
}

function outcomeLine(deployment: DeploymentLogData['deployment']): string {
  if (deployment.status === 'queued' || deployment.status === 'running') {
    return `===== deployment ${deployment.status} =====`;
  }
  const started = Date.parse(deployment.startedAt ?? deployment.createdAt);
  const finished = Date.parse(deployment.finishedAt ?? deployment.createdAt);
  const reason = deployment.failureReason === null ? '' : `: ${deployment.failureReason}`;
  return `===== deployment ${deployment.status} in ${formatDuration(Math.max(0, finished - started))}${reason} =====`;
}
