import { SlipwayApiError } from '../client/index.js';

/** Exit codes of the CLI, as documented in the README. */
export const exitCodes = {
  ok: 0,
  /** A command failed, or the deployment it followed failed. */
  failed: 1,
  /** The command line was wrong (commander's own errors). */
  usage: 2,
  /** The deployment it followed was cancelled. */
  cancelled: 3,
} as const;

/** A failure to report on stderr as one readable message, never with a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The message for any error reaching the top: problem+json title/detail/code for API errors. */
export function describeError(error: unknown): string {
  if (error instanceof SlipwayApiError) {
    const { title, detail, code, errors } = error.problem;
    const fields = (errors ?? []).map((issue) => `\n  ${issue.path}: ${issue.message}`).join('');
    return `error: ${title}: ${detail} (${code}, HTTP ${error.status})${fields}`;
  }
  if (error instanceof CliError) return `error: ${error.message}`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `error: ${error.message}${cause}`;
  }
  return `error: ${String(error)}`;
}
