/**
 * A bounded HTTP load generator for the ingress tests: exactly `requests` requests, at most
 * `concurrency` at a time, each with a timeout, so a run always ends. Every request's start,
 * end, status, body (or transport error) is recorded for the assertions.
 */
import { Agent, request } from 'node:http';

export interface LoadOptions {
  port: number;
  host: string;
  /** Request path; default "/". */
  path?: string;
  requests: number;
  concurrency: number;
  keepAlive: boolean;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export interface RequestRecord {
  startedAt: number;
  endedAt: number;
  status: number | null;
  body: string;
  error: string | null;
}

export interface LoadRun {
  /** Resolves with every request's record once all have ended. */
  done: Promise<RequestRecord[]>;
  /** Requests ended so far. */
  completed(): number;
}

export function startLoad(options: LoadOptions): LoadRun {
  const agent = new Agent({ keepAlive: options.keepAlive, maxSockets: options.concurrency });
  const records: RequestRecord[] = [];
  let next = 0;
  const one = () =>
    new Promise<RequestRecord>((resolve) => {
      const startedAt = performance.now();
      const finish = (status: number | null, body: string, error: string | null) => {
        resolve({ startedAt, endedAt: performance.now(), status, body, error });
      };
      const req = request(
        {
          host: '127.0.0.1',
          port: options.port,
          path: options.path ?? '/',
          headers: { host: options.host },
          agent,
          timeout: options.timeoutMs ?? 10_000,
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => {
            finish(response.statusCode ?? null, body, null);
          });
          response.on('error', (error) => {
            finish(response.statusCode ?? null, body, error.message);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (error) => {
        finish(null, '', error.message);
      });
      req.end();
    });
  const lane = async () => {
    while (next < options.requests) {
      next += 1;
      records.push(await one());
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, lane)).then(() => {
    agent.destroy();
    return records;
  });
  return { done, completed: () => records.length };
}

/** Waits (bounded) until check() holds; throws with `what` when it does not in time. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
