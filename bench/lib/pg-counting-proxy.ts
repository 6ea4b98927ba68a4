/**
 * A TCP proxy in front of PostgreSQL that counts the SQL statements its clients send: every
 * Execute ('E', extended protocol: what pg and Prisma's adapter send) and every simple Query
 * ('Q'). Only the benchmark's statement counts go through it (it adds a hop to every round trip),
 * never the timed runs. pg_stat_statements would need a server restart; this needs nothing.
 */
import { appendFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface CountingProxy {
  /** A DATABASE_URL that goes through the proxy (same database, user and options). */
  url: string;
  /** Statements sent so far by all clients. */
  statements: () => number;
  close: () => Promise<void>;
}

const sslRequestCode = 80877103;
const gssRequestCode = 80877104;

/** Reads the frontend's message stream and calls onStatement for each Execute or Query. */
function frontendCounter(
  onStatement: () => void,
  onText: (text: string) => void,
): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  // The first message (and the one after a refused SSL/GSS request) has no type byte.
  let untyped = true;
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // Bounded: each pass consumes one whole message or stops.
    while (pending.length > 0) {
      if (untyped) {
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        const code = pending.readInt32BE(4);
        untyped = code === sslRequestCode || code === gssRequestCode;
        pending = pending.subarray(length);
        continue;
      }
      if (pending.length < 5) return;
      const length = pending.readInt32BE(1);
      if (pending.length < length + 1) return;
      const type = String.fromCharCode(pending[0] ?? 0);
      if (type === 'E' || type === 'Q') onStatement();
      if (type === 'Q') onText(pending.toString('utf8', 5, length));
      if (type === 'P') {
        // Parse: statement name (C string), then the query text (C string).
        const nameEnd = pending.indexOf(0, 5);
        onText(pending.toString('utf8', nameEnd + 1, pending.indexOf(0, nameEnd + 1)));
      }
      pending = pending.subarray(length + 1);
    }
  };
}

/**
 * BENCH_SQL_LOG=<file> appends the text of every statement parsed or queried through any proxy to
 * that file, to see which statements a count is made of.
 */
const sqlLog = process.env.BENCH_SQL_LOG;

export async function startCountingProxy(databaseUrl: string): Promise<CountingProxy> {
  const target = new URL(databaseUrl);
  const targetHost = target.hostname;
  const targetPort = Number(target.port === '' ? '5432' : target.port);
  let count = 0;
  let address: AddressInfo = { address: '', family: '', port: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const count1 = frontendCounter(
      () => {
        count += 1;
      },
      (text) => {
        if (sqlLog !== undefined)
          appendFileSync(sqlLog, `${String(address.port)}\t${text.replaceAll('\n', ' ')}\n`);
      },
    );
    client.on('data', (chunk: Buffer) => {
      count1(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolvePromise();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound !== 'object') throw new Error('proxy has no port');
  address = bound;
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    statements: () => count,
    close: () =>
      new Promise<void>((resolvePromise) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolvePromise();
        });
      }),
  };
}
