import http from 'node:http';
import { wallNow } from './clock.js';

export interface FollowOutcome {
  /** Whether the server sent its final `end` event. */
  ended: boolean;
  status: string | null;
  error: string | null;
}

export interface LogFollower {
  /** Settles (never rejects) when the stream ends, fails or is closed. */
  done: Promise<FollowOutcome>;
  close: () => void;
}

/**
 * Follows GET /v1/deployments/:id/log as Server-Sent Events, the way a client would, and hands
 * each `log` event's text over with the wall-clock time its bytes arrived.
 */
export function followLog(
  baseUrl: string,
  token: string,
  deploymentId: string,
  onLog: (text: string, receivedAt: number) => void,
): LogFollower {
  let buffer = '';
  let status: string | null = null;
  const request = http.get(`${baseUrl}/v1/deployments/${deploymentId}/log`, {
    headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
  });
  const done = new Promise<FollowOutcome>((resolve) => {
    const fail = (error: Error) => {
      resolve({ ended: status !== null, status, error: error.message });
    };
    request.once('error', fail);
    request.once('response', (response) => {
      if (response.statusCode !== 200) {
        fail(new Error(`log stream answered HTTP ${String(response.statusCode)}`));
        response.resume();
        return;
      }
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const receivedAt = wallNow();
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (event === 'log') {
            const parsed = JSON.parse(data) as { text: string };
            onLog(parsed.text, receivedAt);
          } else if (event === 'end') {
            status = (JSON.parse(data) as { status: string }).status;
          }
        }
      });
      response.once('end', () => {
        resolve({ ended: status !== null, status, error: null });
      });
      response.once('error', fail);
    });
  });
  return {
    done,
    close: () => {
      request.destroy();
    },
  };
}
