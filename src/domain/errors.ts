/**
 * Every failure the API can report has a stable string code. The HTTP status for each code is
 * declared once here; the error handler renders any AppError as RFC 9457 problem+json.
 */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  APP_NOT_FOUND: 404,
  RELEASE_COMMAND_NOT_FOUND: 404,
  DEPLOYMENT_NOT_FOUND: 404,
  RELEASE_NOT_FOUND: 404,
  ENV_VAR_NOT_FOUND: 404,
  DOMAIN_NOT_FOUND: 404,
  REGISTRY_CREDENTIALS_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  APP_NAME_TAKEN: 409,
  APP_BUSY: 409,
  DOMAIN_TAKEN: 409,
  DEPLOYMENT_FINISHED: 409,
  NOTHING_TO_ROLL_BACK: 409,
  ROLLBACK_TARGET_IS_LIVE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  INVALID_ORDER: 422,
  SETTINGS_CONFLICT: 422,
  TOO_MANY_RELEASE_COMMANDS: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  ROLLBACK_TARGET_INVALID: 422,
  WEBHOOK_TARGET_REFUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  DEPENDENCY_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof errorStatus;

export interface FieldIssue {
  /** JSON-pointer-like path of the failing field, e.g. "/startupProbe/path". */
  path: string;
  message: string;
  /** Which part of the request the path refers to, when it is not the body. */
  location?: 'body' | 'querystring' | 'params' | 'headers';
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly FieldIssue[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { issues?: FieldIssue[]; cause?: unknown },
  ) {
    super(message, { cause: options?.cause });
    this.name = 'AppError';
    this.code = code;
    this.issues = options?.issues;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}
