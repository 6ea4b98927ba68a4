/**
 * Turns what dockerode throws (docker-modem errors carrying the engine's HTTP status and JSON body,
 * or plain socket errors) into RuntimeErrors, so no caller ever inspects a Docker error.
 */
import { EngineError, type EngineErrorCode } from '../engine/engine-error.js';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EACCES',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** The engine's HTTP status for a failed API call, undefined for transport failures. */
export function engineStatusCode(error: unknown): number | undefined {
  if (!(error instanceof Error) || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

/** The engine's own message when it sent one (docker-modem wraps it in "(HTTP code …) …"). */
export function engineMessage(error: unknown): string {
  if (error instanceof Error) {
    if ('json' in error && isRecord(error.json) && typeof error.json.message === 'string') {
      return error.json.message;
    }
    return error.message.trim();
  }
  return String(error);
}

export function isConnectionFailure(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    CONNECTION_ERROR_CODES.has(error.code) &&
    engineStatusCode(error) === undefined
  );
}

/** True for the statuses that mean "the thing is already gone or going", given as arguments. */
export function hasStatus(error: unknown, ...statuses: number[]): boolean {
  const status = engineStatusCode(error);
  return status !== undefined && statuses.includes(status);
}

/** Wraps any failure of an engine call; `action` completes "… while <action>". */
export function toRuntimeError(error: unknown, action: string): EngineError {
  if (error instanceof EngineError) return error;
  if (isConnectionFailure(error)) {
    return new EngineError(
      'ENGINE_UNAVAILABLE',
      `Docker engine unreachable while ${action}: ${engineMessage(error)}`,
      { cause: error },
    );
  }
  const message = engineMessage(error);
  if (engineStatusCode(error) === 404 && /no such image/i.test(message)) {
    return new EngineError('IMAGE_NOT_FOUND', `${message} (while ${action})`, { cause: error });
  }
  return new EngineError('ENGINE_ERROR', `Docker engine error while ${action}: ${message}`, {
    cause: error,
  });
}

/**
 * Classifies a failed pull from the engine's message, which is all a registry failure leaves:
 * the engine answers 404 or 500 and passes the registry's words along.
 */
export function pullFailureCode(
  status: number | undefined,
  message: string,
  hadCredentials: boolean,
): EngineErrorCode {
  const text = message.toLowerCase();
  // Docker Hub says this both for missing and for private repositories.
  if (text.includes('repository does not exist')) {
    return hadCredentials ? 'REGISTRY_AUTH_FAILED' : 'IMAGE_NOT_FOUND';
  }
  if (
    status === 401 ||
    /unauthorized|authentication required|no basic auth credentials|denied|forbidden/.test(text)
  ) {
    return 'REGISTRY_AUTH_FAILED';
  }
  if (status === 404 || /manifest unknown|not found|name unknown|no such image/.test(text)) {
    return 'IMAGE_NOT_FOUND';
  }
  return 'ENGINE_ERROR';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
