import { createServer } from 'node:net';

/**
 * A TCP port nothing listens on at 127.0.0.1 right now. Someone may take it before it is used, so
 * callers must be ready to retry.
 */
export function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close((closeError) => {
        if (closeError !== undefined) {
          reject(closeError);
        } else if (address === null || typeof address === 'string') {
          reject(new Error(`unexpected listening address ${String(address)}`));
        } else {
          resolve(address.port);
        }
      });
    });
  });
}
