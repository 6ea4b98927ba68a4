import { createInterface } from 'node:readline';
import { followDeploymentLog, type LogStreamEnd } from '../client/index.js';
import { exitCodes } from './cli-error.js';
import { call, type Context } from './context.js';
import { createFollowPrinter } from './follow-printer.js';

/** Exit status when the user stops following (the deployment goes on): 128 + SIGINT. */
const detachedExitCode = 130;

/**
 * Follows a deployment to its end and returns the exit code: 0 succeeded, 1 failed (the reason
 * on stderr), 3 cancelled. Ctrl-C asks whether to cancel the deployment or only stop following.
 */
export async function followDeployment(context: Context, deploymentId: string): Promise<number> {
  const { output } = context;
  const printer = createFollowPrinter(output);
  const stop = new AbortController();
  const removeInterrupt = onInterrupt(context, deploymentId, stop);
  let end: LogStreamEnd;
  try {
    end = await followDeploymentLog({
      baseUrl: context.baseUrl,
      token: context.token,
      deploymentId,
      signal: stop.signal,
      onEvent: (event) => {
        if (output.json) output.out(`${JSON.stringify(event)}\n`);
        else printer.onEvent(event);
      },
      onReconnect: (attempt, cause) => {
        const why = cause instanceof Error ? cause.message : String(cause);
        output.err(`connection lost (${why}); resuming the log (attempt ${attempt})\n`);
      },
    });
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    output.err(
      `stopped following; deployment ${deploymentId} goes on (slipway logs ${deploymentId} --follow)\n`,
    );
    return detachedExitCode;
  } finally {
    removeInterrupt();
  }
  if (!output.json) {
    const deployment = await call(
      context.client.GET('/v1/deployments/{id}', { params: { path: { id: deploymentId } } }),
    );
    const from = Date.parse(deployment.startedAt ?? deployment.createdAt);
    const to = deployment.finishedAt === null ? null : Date.parse(deployment.finishedAt);
    printer.outcome(end.status, to === null ? null : Math.max(0, to - from), null);
  }
  return exitCodeOf(end, output.err);
}

function exitCodeOf(end: LogStreamEnd, err: (text: string) => void): number {
  if (end.status === 'succeeded') return exitCodes.ok;
  if (end.status === 'cancelled') {
    err(`deployment cancelled${end.failureReason === null ? '' : `: ${end.failureReason}`}\n`);
    return exitCodes.cancelled;
  }
  err(`deployment failed: ${end.failureReason ?? 'no reason recorded'}\n`);
  return exitCodes.failed;
}

/**
 * First Ctrl-C: asks on stderr and reads the answer from stdin ("c" cancels the deployment and
 * keeps following to its end; anything else, or no answer possible, stops following). A second
 * Ctrl-C while asking stops following at once.
 */
function onInterrupt(context: Context, deploymentId: string, stop: AbortController): () => void {
  let asking = false;
  const handler = () => {
    if (asking) {
      stop.abort();
      return;
    }
    asking = true;
    void ask(
      `\nCtrl-C: [c] cancel deployment ${deploymentId}, or [d] detach (it keeps running)? `,
    ).then(async (answer) => {
      if (!/^c/i.test(answer.trim())) {
        stop.abort();
        return;
      }
      context.output.err(`cancelling ${deploymentId}…\n`);
      await call(
        context.client.POST('/v1/deployments/{id}/cancel', {
          params: { path: { id: deploymentId } },
        }),
      ).catch((error: unknown) => {
        // Already finished (409) or unreachable: following shows how it ended either way.
        context.output.err(
          `cancel failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      });
      asking = false;
    });
  };
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGINT', handler);
  };
}

function ask(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
    let answered = false;
    rl.once('line', (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
    rl.once('close', () => {
      if (!answered) resolve('');
    });
    process.stderr.write(question);
  });
}
