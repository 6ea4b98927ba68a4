import { connect } from 'node:net';
import { IngressError } from './ingress-error.js';

/**
 * One command on HAProxy's admin socket, non-interactive: HAProxy answers and closes the
 * connection, so the answer is everything read until the close. Bounded by timeoutMs.
 */
export function sendCommand(
  socketPath: string,
  command: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(() => {
      finish(() => {
        reject(
          new IngressError(
            'INGRESS_TIMEOUT',
            `HAProxy did not answer "${verb(command)}" within ${timeoutMs} ms`,
          ),
        );
      });
    }, timeoutMs);
    socket.once('connect', () => {
      socket.end(`${command}\n`);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => {
      finish(() => {
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      finish(() => {
        reject(
          new IngressError(
            'INGRESS_UNAVAILABLE',
            `HAProxy's admin socket ${socketPath} cannot be reached (${error.code ?? error.message})`,
            { cause: error },
          ),
        );
      });
    });
  });
}

/** The command's first words, for messages: never its values. */
function verb(command: string): string {
  return command.split(' ').slice(0, 2).join(' ');
}
