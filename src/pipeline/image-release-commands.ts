import { z } from 'zod';
import {
  createReleaseCommandSchema,
  maxReleaseCommandsPerApp,
} from '../schemas/release-command.js';

export const releaseCommandsLabel = 'io.slipway.release-commands';

/**
 * The same schema as a release command created through the API (lengths, no control characters
 * or NUL, no lone surrogates): an image must not be able to put into the log, the step labels or
 * the database what the API would refuse, such as a label forging a `===== activate =====` line.
 */
const declaredCommandsSchema = z.array(createReleaseCommandSchema).max(maxReleaseCommandsPerApp);

export type DeclaredCommand = z.infer<typeof declaredCommandsSchema>[number];

export type DeclaredCommandsResult =
  { ok: true; commands: DeclaredCommand[] } | { ok: false; error: string };

/** `[1].label`, `[0]`, or `(top level)`: where in the label's JSON a problem is. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      return index === 0 ? name : `.${name}`;
    })
    .join('');
}

function invalid(problem: string): DeclaredCommandsResult {
  return { ok: false, error: `image label ${releaseCommandsLabel}: ${problem}` };
}

/** Commands an image declares for itself in its io.slipway.release-commands label. */
export function readDeclaredCommands(labels: Record<string, string>): DeclaredCommandsResult {
  const raw = labels[releaseCommandsLabel];
  if (raw === undefined || raw.trim() === '') return { ok: true, commands: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return invalid('not valid JSON (expected an array of {label, command, timeoutSeconds?})');
  }
  const result = declaredCommandsSchema.safeParse(parsed);
  if (!result.success) {
    // Only the first problem, and never the offending value: it is the image's text, not ours.
    const first = result.error.issues[0];
    if (first === undefined) return invalid('invalid');
    return invalid(`${formatPath(first.path)}: ${first.message}`);
  }
  return { ok: true, commands: result.data };
}
