/** Tiny HTTP upstreams on 127.0.0.1 for the ingress tests: each answers its own name. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  readonly name: string;
  readonly port: number;
  readonly endpoint: string;
  /** Requests being answered right now. */
  inFlight(): number;
  /** Requests answered so far. */
  served(): number;
  /** Stops listening and destroys every open connection, in-flight requests included. */
  kill(): void;
  close(): Promise<void>;
}

export async function startUpstream(name: string, holdMs = 0): Promise<Upstream> {
  let inFlight = 0;
  let served = 0;
  const server: Server = createServer((request, response) => {
    inFlight += 1;
    request.resume();
    const answer = () => {
      inFlight -= 1;
      served += 1;
      response.writeHead(200, { 'content-type': 'text/plain' }).end(name);
    };
    if (holdMs > 0) setTimeout(answer, holdMs);
    else answer();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    inFlight: () => inFlight,
    served: () => served,
    kill() {
      server.close();
      server.closeAllConnections();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
