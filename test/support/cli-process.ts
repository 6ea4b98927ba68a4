/**
 * The `slipway` CLI (src/cli/main.ts) as a child process, the way a CI job runs it: only the
 * environment given here, stdin a pipe the test writes to, stdout and stderr collected.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '../..');
/** Node with tsx's loader (not the .bin/tsx wrapper), so signals reach the CLI itself. */
const nodeArgs = ['--import', 'tsx', 'src/cli/main.ts'];
const defaultTimeoutMs = 120_000;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  readonly pid: number;
  readonly args: readonly string[];
  stdout(): string;
  stderr(): string;
  write(text: string): void;
  endInput(): void;
  signal(signal: NodeJS.Signals): void;
  /** Resolves once stdout + stderr match, waiting at most timeoutMs. */
  waitForOutput(match: RegExp, timeoutMs: number): Promise<void>;
  /** Settles when it exits; kills it (and rejects) after timeoutMs. */
  result(timeoutMs?: number): Promise<CliResult>;
}

export interface CliOptions {
  env: Record<string, string>;
}

export function startCli(args: readonly string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the CLI did not start');
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    changed();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    changed();
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });

  return {
    pid,
    args,
    stdout: () => stdout,
    stderr: () => stderr,
    write: (text) => child.stdin.write(text),
    endInput: () => child.stdin.end(),
    signal: (signal) => child.kill(signal),
    waitForOutput(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!match.test(stdout + stderr)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${String(match)} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async result(timeoutMs = defaultTimeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => {
          resolve('timeout');
        }, timeoutMs);
      });
      const outcome = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (outcome !== 'timeout') return outcome;
      child.kill('SIGKILL');
      throw new Error(`slipway ${args.join(' ')} ran over ${timeoutMs} ms:\n${stdout}\n${stderr}`);
    },
  };
}

/** Runs the CLI to its end with `input` on stdin. */
export async function runCli(
  args: readonly string[],
  options: CliOptions & { input?: string; timeoutMs?: number },
): Promise<CliResult> {
  const cli = startCli(args, options);
  if (options.input !== undefined) cli.write(options.input);
  cli.endInput();
  return cli.result(options.timeoutMs);
}
