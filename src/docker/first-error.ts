/**
 * Keeps the first error thrown by a caller's callback that runs inside engine event handlers,
 * where throwing would either crash the process or be mistaken for an engine failure, so that it
 * can be rethrown once the engine's part is done.
 */
export class FirstError {
  private first: { error: unknown } | null = null;

  /** Calls fn; a throw is kept (only the first) instead of propagating. */
  guard(fn: () => void): void {
    if (this.first !== null) return;
    try {
      fn();
    } catch (error) {
      this.first = { error };
    }
  }

  throwIfRecorded(): void {
    if (this.first !== null) throw this.first.error;
  }
}
