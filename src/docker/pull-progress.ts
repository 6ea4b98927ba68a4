/**
 * Reads the engine's pull progress (one JSON object per line) and reports one line per status
 * change of each layer: "Downloading" appears once, not once per progress tick, which keeps
 * deployment logs readable.
 */
import { TextDecoder } from 'node:util';

export class PullProgress {
  private partialLine = '';
  private readonly decoder = new TextDecoder('utf-8');
  private readonly lastStatusById = new Map<string, string>();
  /** The first error the engine reported inside the stream, if any. */
  error: string | null = null;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.consume(this.decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    this.consume(this.decoder.decode());
    const rest = this.partialLine;
    this.partialLine = '';
    this.handleLine(rest);
  }

  private consume(text: string): void {
    const lines = (this.partialLine + text).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) this.handleLine(line);
  }

  private handleLine(rawLine: string): void {
    const line = rawLine.trim();
    if (line === '') return;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      // Not an event: show it as the engine sent it rather than lose it.
      this.onLine(line);
      return;
    }
    if (!isRecord(event)) {
      this.onLine(line);
      return;
    }
    this.handleEvent(event);
  }

  private handleEvent(event: Record<string, unknown>): void {
    const error = readString(event.error) ?? readErrorDetail(event.errorDetail);
    if (error !== null) {
      this.error ??= error;
      return;
    }
    const status = readString(event.status);
    if (status === null) return;
    const id = readString(event.id);
    const key = id ?? '';
    if (this.lastStatusById.get(key) === status) return;
    this.lastStatusById.set(key, status);
    this.onLine(id === null ? status : `${id}: ${status}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function readErrorDetail(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !('message' in value)) return null;
  return readString(value.message);
}
