import type { DeploymentStep, LogStreamEvent } from '../client/index.js';
import { formatDuration } from '../domain/format-duration.js';
import { stepSection } from '../domain/step-kinds.js';
import { paint, type Output } from './output.js';

interface StepState {
  step: DeploymentStep;
  started: boolean;
  ended: boolean;
  /** Output that arrived before the step's own `step` event. */
  pending: string[];
}

const finished = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/**
 * Prints a followed deployment the way the text log reads: `=====` sections, release command
 * output under its label as it arrives, each step's end with its duration. On a terminal the
 * pull's progress is one line rewritten in place.
 */
export function createFollowPrinter(output: Output) {
  const steps = new Map<string, StepState>();
  let section: string | null = null;
  let atLineStart = true;
  let progressOpen = false;

  function write(text: string): void {
    if (text === '') return;
    closeProgress();
    output.out(text);
    atLineStart = text.endsWith('\n');
  }
  function line(text: string): void {
    if (!atLineStart) write('\n');
    write(`${text}\n`);
  }
  function closeProgress(): void {
    if (!progressOpen) return;
    progressOpen = false;
    output.out('\n');
    atLineStart = true;
  }

  function printOutput(state: StepState, text: string): void {
    if (state.step.kind !== 'pull' || !output.tty) {
      write(text);
      return;
    }
    const last = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .at(-1);
    if (last === undefined) return;
    if (!atLineStart && !progressOpen) output.out('\n');
    output.out(`\r\u001b[K${paint(output, 'dim', last.slice(0, 200))}`);
    progressOpen = true;
    atLineStart = false;
  }

  function start(state: StepState): void {
    state.started = true;
    const { step } = state;
    const title = stepSection(step.kind);
    if (title !== section) {
      line('');
      line(paint(output, 'bold', `===== ${title} =====`));
      section = title;
    }
    if (step.kind === 'release_command')
      line(`----- ${step.label} (from ${step.source ?? 'app'}) -----`);
    else line(paint(output, 'dim', `-> ${step.label}`));
    for (const text of state.pending.splice(0)) printOutput(state, text);
  }

  function end(state: StepState): void {
    state.ended = true;
    const { step } = state;
    const took = step.durationMs === null ? '' : ` in ${formatDuration(step.durationMs)}`;
    const exit = step.exitCode === null ? '' : ` (exit code ${step.exitCode})`;
    const why = step.error === null ? '' : `: ${step.error}`;
    const colour =
      step.status === 'succeeded' ? 'green' : step.status === 'failed' ? 'red' : 'yellow';
    const outcome = paint(output, colour, `${step.status}${exit}${took}${why}`);
    line(
      step.kind === 'release_command' ? `----- ${step.label}: ${outcome} -----` : `-> ${outcome}`,
    );
  }

  function onStep(step: DeploymentStep): void {
    const state = steps.get(step.id) ?? { step, started: false, ended: false, pending: [] };
    state.step = step;
    steps.set(step.id, state);
    if (step.status === 'pending') return;
    if (!state.started) start(state);
    if (finished.has(step.status) && !state.ended) end(state);
  }

  function onLog(stepId: string | null, text: string): void {
    if (stepId === null) {
      write(text);
      return;
    }
    const state = steps.get(stepId);
    if (state?.started === true) printOutput(state, text);
    else if (state === undefined) {
      // Its `step` event is still to come: kept until then, so output stays under its heading.
      const placeholder = { started: false, ended: false, pending: [text] };
      steps.set(stepId, { ...placeholder, step: placeholderStep(stepId) });
    } else state.pending.push(text);
  }

  return {
    onEvent(event: LogStreamEvent): void {
      if (event.type === 'step') onStep(event.step);
      else if (event.type === 'log') onLog(event.stepId, event.text);
      else closeProgress();
    },
    /** The closing line, as in the text log. */
    outcome(status: string, durationMs: number | null, reason: string | null): void {
      const took = durationMs === null ? '' : ` in ${formatDuration(durationMs)}`;
      const colour = status === 'succeeded' ? 'green' : status === 'failed' ? 'red' : 'yellow';
      line('');
      line(
        paint(
          output,
          colour,
          `===== deployment ${status}${took}${reason === null ? '' : `: ${reason}`} =====`,
        ),
      );
    },
  };
}

function placeholderStep(id: string): DeploymentStep {
  return {
    id,
    kind: 'pull',
    label: '',
    position: 0,
    source: null,
    status: 'pending',
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    exitCode: null,
    error: null,
  };
}
