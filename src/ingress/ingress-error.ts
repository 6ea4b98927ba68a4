export type IngressErrorCode =
  /** The admin socket cannot be reached (HAProxy not running, wrong path, no permission). */
  | 'INGRESS_UNAVAILABLE'
  /** HAProxy did not answer a command within its timeout. */
  | 'INGRESS_TIMEOUT'
  /** HAProxy answered, but refused the command (unknown map, server, backend…). */
  | 'INGRESS_COMMAND_FAILED'
  /** A value that must not reach HAProxy's command line (spaces, newlines, a bad address). */
  | 'INGRESS_INVALID_ARGUMENT'
  /** The app's backend has no free server slot for the new endpoints. */
  | 'INGRESS_NO_FREE_SLOT';

/** A failure of the ingress (HAProxy) in its own words; the message is safe to show. */
export class IngressError extends Error {
  readonly code: IngressErrorCode;
  constructor(code: IngressErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'IngressError';
    this.code = code;
  }
}
