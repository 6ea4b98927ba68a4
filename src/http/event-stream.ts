import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStream {
  send(event: { event: string; data: unknown; id?: string }): void;
  close(): void;
  /** Called once when the client goes away or the stream is closed. */
  onClose(listener: () => void): void;
}

/** Keeps proxies and load balancers from timing out an idle stream. */
const keepAliveMs = 15_000;

/** Takes over the response and speaks Server-Sent Events on it. */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  raw.write(': stream open\n\n');
  const listeners: (() => void)[] = [];
  let closed = false;
  const keepAlive = setInterval(() => {
    raw.write(': keep-alive\n\n');
  }, keepAliveMs);

  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    for (const listener of listeners) listener();
  };
  request.raw.on('close', finish);

  return {
    send({ event, data, id }) {
      if (closed) return;
      const idLine = id === undefined ? '' : `id: ${id}\n`;
      raw.write(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (!closed) raw.end();
      finish();
    },
    onClose(listener) {
      listeners.push(listener);
    },
  };
}
