import { Prisma } from '../generated/prisma/client.js';
import { AppError } from '../domain/errors.js';

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003';
}

const connectionErrorCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const connectionErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** True when the database could not be reached, as opposed to a query it rejected. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    return connectionErrorCodes.has(error.code);
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && connectionErrnos.has(code)) return true;
    if (/connect|terminat|Connection/i.test(error.message) && !(error instanceof AppError)) {
      return error.cause === undefined ? /ECONN|timeout|terminat/i.test(error.message) : true;
    }
  }
  return false;
}
