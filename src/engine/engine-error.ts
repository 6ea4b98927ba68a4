export type EngineErrorCode =
  'IMAGE_NOT_FOUND' | 'REGISTRY_AUTH_FAILED' | 'ENGINE_UNAVAILABLE' | 'ENGINE_ERROR';

/** A failure an engine reports in its own words; the pipeline shows the message as the reason. */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'EngineError';
    this.code = code;
  }
}
