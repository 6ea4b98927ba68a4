import type { Command } from 'commander';
import { loadContext, type Context, type GlobalOptions } from './context.js';

/** Wraps a command's action: it receives the API context built from the global options. */
export type Run = <A extends unknown[]>(
  action: (context: Context, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;

export function createRun(program: Command): Run {
  return (action) =>
    async (...args) => {
      const context = await loadContext(program.opts<GlobalOptions>());
      await action(context, ...args);
    };
}
