import pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';
import { AppError } from '../domain/errors.js';
import { SecretDecryptionError } from '../domain/secret-box.js';

/** pg's own error (plain pg statements, see sqlOf) with this SQLSTATE. */
function isPgError(error: unknown, sqlState: string): boolean {
  return error instanceof pg.DatabaseError && error.code === sqlState;
}

export function isUniqueViolation(error: unknown): boolean {
  return (
    (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') ||
    isPgError(error, '23505')
  );
}

export function isForeignKeyViolation(error: unknown): boolean {
  return (
    (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') ||
    isPgError(error, '23503')
  );
}

const connectionErrorCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const connectionErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** What the pg driver adapter reports (meta.driverAdapterError.cause) when the link is the problem. */
const adapterConnectionKinds = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);

/**
 * SQLSTATEs of a lost or refused session: connection exceptions (class 08), the backend being
 * terminated or the server shutting down or starting (57P01–57P03), too many connections (53300).
 */
function isConnectionSqlState(code: string, message: string): boolean {
  if (code.startsWith('08') || code === '53300') return true;
  if (code === '57P01' || code === '57P02' || code === '57P03') return true;
  // 55000 is a broad class; only its "database … is not currently accepting connections" form.
  return code === '55000' && /not currently accepting connections/i.test(message);
}

/**
 * With a driver adapter, Prisma reports a dropped connection as an ordinary request error (P2010,
 * P2039, …) and puts the driver's own error in meta.driverAdapterError.cause.
 */
function isAdapterConnectionError(meta: Record<string, unknown> | undefined): boolean {
  const adapterError = meta?.driverAdapterError;
  if (typeof adapterError !== 'object' || adapterError === null || !('cause' in adapterError)) {
    return false;
  }
  const cause = adapterError.cause;
  if (typeof cause !== 'object' || cause === null) return false;
  const kind = 'kind' in cause && typeof cause.kind === 'string' ? cause.kind : '';
  if (adapterConnectionKinds.has(kind)) return true;
  const code =
    'originalCode' in cause && typeof cause.originalCode === 'string' ? cause.originalCode : '';
  const message =
    'originalMessage' in cause && typeof cause.originalMessage === 'string'
      ? cause.originalMessage
      : '';
  return isConnectionSqlState(code, message);
}

/** True when the database could not be reached, as opposed to a query it rejected. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    return connectionErrorCodes.has(error.code) || isAdapterConnectionError(error.meta);
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && connectionErrnos.has(code)) return true;
    // pg's own errors (the plain reads of sqlOf) carry the SQLSTATE as their code.
    if (typeof code === 'string' && isConnectionSqlState(code, error.message)) return true;
    // Our own errors may name things like DB_CONNECTION; only driver errors are read by message.
    const ours = error instanceof AppError || error instanceof SecretDecryptionError;
    if (!ours && /connect|terminat|Connection/i.test(error.message)) {
      // "Client has encountered a connection error and is not queryable": pg, in a transaction
      // whose connection was terminated.
      return error.cause === undefined
        ? /ECONN|timeout|terminat|not queryable/i.test(error.message)
        : true;
    }
  }
  return false;
}

/**
 * Runs a write that references an application. When the application is deleted concurrently,
 * PostgreSQL rejects the insert with a foreign-key violation (P2003): for the caller that is the
 * same as having named an application that does not exist.
 */
export async function failingAsAppNotFound<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isForeignKeyViolation(error)) {
      throw new AppError('APP_NOT_FOUND', 'the application was deleted while this request ran', {
        cause: error,
      });
    }
    throw error;
  }
}
