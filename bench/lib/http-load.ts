/**
 * A bounded HTTP load for the ingress benchmark: at most `requests` requests (or until stop()),
 * `concurrency` at a time over keep-alive connections, each with a timeout. Records each
 * request's start, latency, status and body (the web image answers /ready-at with a stamp unique
 * to its container, so a body names the release that served it).
 */
import { Agent, request } from 'node:http';
import { wallNow } from './clock.js';

export interface LoadRecord {
  /** Wall-clock ms when the request was sent. */
  sentAt: number;
  latencyMs: number;
  status: number | null;
  body: string;
  error: string | null;
}

export interface HttpLoad {
  done: Promise<LoadRecord[]>;
  /** Sends no new request; resolves `done` once those in flight ended. */
  stop(): void;
}

export function startHttpLoad(options: {
  port: number;
  host: string;
  path: string;
  requests: number;
  concurrency: number;
  timeoutMs?: number;
}): HttpLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const records: LoadRecord[] = [];
  let sent = 0;
  let stopped = false;
  const one = () =>
    new Promise<LoadRecord>((resolve) => {
      const sentAt = wallNow();
      const started = performance.now();
      const finish = (status: number | null, body: string, error: string | null) => {
        resolve({ sentAt, latencyMs: performance.now() - started, status, body, error });
      };
      const req = request(
        {
          host: '127.0.0.1',
          port: options.port,
          path: options.path,
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
    while (!stopped && sent < options.requests) {
      sent += 1;
      records.push(await one());
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, lane)).then(() => {
    agent.destroy();
    return records;
  });
  return {
    done,
    stop: () => {
      stopped = true;
    },
  };
}

export function isFailure(record: LoadRecord): boolean {
  return (
    record.error !== null || record.status === null || record.status < 200 || record.status > 299
  );
}
