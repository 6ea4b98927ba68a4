/**
 * Splits Docker's multiplexed stdout/stderr stream (used for attach and logs when there is no TTY)
 * into text. Each frame is an 8-byte header (stream type, 3 zero bytes, big-endian payload length)
 * followed by the payload; frames arrive cut anywhere, and a UTF-8 character may straddle two
 * frames, so bytes are decoded per stream with streaming decoders.
 */
import { TextDecoder } from 'node:util';

import type { OutputStream } from './runtime-types.js';

const HEADER_LENGTH = 8;
const STDERR = 2;
// Type 3 is the engine's own error channel on newer API versions; it belongs with stderr.
const SYSTEM_ERROR = 3;

export class OutputDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly decoders: Record<OutputStream, TextDecoder> = {
    stdout: new TextDecoder('utf-8'),
    stderr: new TextDecoder('utf-8'),
  };

  constructor(private readonly onText: (text: string, stream: OutputStream) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= HEADER_LENGTH) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_LENGTH + length) break;
      const type = this.pending.readUInt8(0);
      const payload = this.pending.subarray(HEADER_LENGTH, HEADER_LENGTH + length);
      this.pending = this.pending.subarray(HEADER_LENGTH + length);
      this.emit(type === STDERR || type === SYSTEM_ERROR ? 'stderr' : 'stdout', payload, true);
    }
  }

  /** Flushes what is left; a frame cut short by the end of the stream still yields its bytes. */
  end(): void {
    if (this.pending.length > HEADER_LENGTH) {
      const type = this.pending.readUInt8(0);
      const stream = type === STDERR || type === SYSTEM_ERROR ? 'stderr' : 'stdout';
      this.emit(stream, this.pending.subarray(HEADER_LENGTH), true);
    }
    this.pending = Buffer.alloc(0);
    for (const stream of ['stdout', 'stderr'] as const) {
      this.emit(stream, new Uint8Array(0), false);
    }
  }

  private emit(stream: OutputStream, bytes: Uint8Array, more: boolean): void {
    const text = this.decoders[stream].decode(bytes, { stream: more });
    if (text !== '') this.onText(text, stream);
  }
}

/** Demuxes a complete buffer (a non-following logs call) into one string, streams interleaved. */
export function demuxToText(buffer: Buffer): string {
  let text = '';
  const demuxer = new OutputDemuxer((part) => {
    text += part;
  });
  demuxer.push(buffer);
  demuxer.end();
  return text;
}
