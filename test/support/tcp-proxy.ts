/**
 * A TCP proxy on 127.0.0.1 in front of a local server, so a test can cut every open connection
 * (as a flaky network would) while the server and the client carry on.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  url: string;
  /** Destroys every open connection, both sides; new connections still work. */
  cutAll(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy not listening');
  return {
    url: `http://127.0.0.1:${address.port}`,
    cutAll() {
      const count = pairs.size;
      for (const [client, upstream] of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      return count;
    },
    close: () =>
      new Promise((resolve, reject) => {
        for (const [client, upstream] of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
