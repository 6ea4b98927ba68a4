/**
 * A webhook receiver on 127.0.0.1 for tests: records every request (headers, raw body, time)
 * and answers as the path says: /ok 204; /flaky/N 500 for the first N requests, then 200;
 * /slow/MS sleeps MS on the first request, then 200 at once; /never never answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  received(): ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      );
      received.push({
        path,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const count = (counts.get(path) ?? 0) + 1;
      counts.set(path, count);
      answer(path, count, response);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver not listening');
  return {
    url: `http://127.0.0.1:${address.port}`,
    received: () => [...received],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function answer(path: string, count: number, response: ServerResponse): void {
  const flaky = /^\/flaky\/(\d+)/.exec(path);
  const slow = /^\/slow\/(\d+)/.exec(path);
  if (path.startsWith('/never')) return;
  if (flaky !== null) {
    response.writeHead(count <= Number(flaky[1]) ? 500 : 200).end('ok');
  } else if (slow !== null && count === 1) {
    setTimeout(() => response.writeHead(200).end('late'), Number(slow[1])).unref();
  } else {
    response.writeHead(path.startsWith('/ok') ? 204 : 200).end();
  }
}
