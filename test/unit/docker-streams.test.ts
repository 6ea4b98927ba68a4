import { describe, expect, it } from 'vitest';

import { pullFailureCode } from '../../src/docker/engine-errors.js';
import { demuxToText, OutputDemuxer } from '../../src/docker/output-demuxer.js';
import { PullProgress } from '../../src/docker/pull-progress.js';
import type { OutputStream } from '../../src/engine/engine.js';

function frame(type: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function collect(chunks: Buffer[]): [OutputStream, string][] {
  const seen: [OutputStream, string][] = [];
  const demuxer = new OutputDemuxer((text, stream) => {
    seen.push([stream, text]);
  });
  for (const chunk of chunks) demuxer.push(chunk);
  demuxer.end();
  return seen;
}

describe('OutputDemuxer', () => {
  it('routes frames to their stream in arrival order', () => {
    const data = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    expect(collect([data])).toEqual([
      ['stdout', 'out 1\n'],
      ['stderr', 'err 1\n'],
      ['stdout', 'out 2\n'],
    ]);
  });

  it('reassembles frames cut anywhere, one byte at a time included', () => {
    const data = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world')]);
    const bytes = [...data].map((byte) => Buffer.from([byte]));
    const joined = collect(bytes).reduce<Record<string, string>>((acc, [stream, text]) => {
      acc[stream] = (acc[stream] ?? '') + text;
      return acc;
    }, {});
    expect(joined).toEqual({ stdout: 'hello world', stderr: 'oops' });
  });

  it('decodes a UTF-8 character split across two frames', () => {
    const euro = Buffer.from('€', 'utf8');
    const data = Buffer.concat([frame(1, euro.subarray(0, 1)), frame(1, euro.subarray(1))]);
    expect(
      collect([data])
        .map(([, text]) => text)
        .join(''),
    ).toBe('€');
  });

  it('keeps the bytes of a frame cut short by the end of the stream', () => {
    const whole = frame(2, 'partial line');
    expect(collect([whole.subarray(0, whole.length - 5)])).toEqual([['stderr', 'partial']]);
  });

  it('demuxes a logs buffer into one string', () => {
    expect(demuxToText(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n')]))).toBe('a\nb\n');
  });
});

describe('PullProgress', () => {
  const events = [
    { status: 'Pulling from slipway-test/web', id: 'v1' },
    { status: 'Pulling fs layer', id: 'abc' },
    { status: 'Downloading', id: 'abc', progressDetail: { current: 1, total: 9 } },
    { status: 'Downloading', id: 'abc', progressDetail: { current: 5, total: 9 } },
    { status: 'Download complete', id: 'abc' },
    { status: 'Digest: sha256:1234' },
    { status: 'Status: Downloaded newer image for x' },
  ];

  it('reports one line per status change, however the JSON lines are chunked', () => {
    const text = events.map((event) => JSON.stringify(event)).join('\r\n') + '\r\n';
    const lines: string[] = [];
    const progress = new PullProgress((line) => lines.push(line));
    for (let i = 0; i < text.length; i += 7) progress.push(Buffer.from(text.slice(i, i + 7)));
    progress.end();
    expect(lines).toEqual([
      'v1: Pulling from slipway-test/web',
      'abc: Pulling fs layer',
      'abc: Downloading',
      'abc: Download complete',
      'Digest: sha256:1234',
      'Status: Downloaded newer image for x',
    ]);
    expect(progress.error).toBeNull();
  });

  it('keeps the first error reported inside the stream', () => {
    const lines: string[] = [];
    const progress = new PullProgress((line) => lines.push(line));
    progress.push(Buffer.from('{"errorDetail":{"message":"boom"},"error":"boom"}\n'));
    progress.push(Buffer.from('{"error":"later"}'));
    progress.end();
    expect(progress.error).toBe('boom');
    expect(lines).toEqual([]);
  });

  it('passes a line that is not JSON through rather than dropping it', () => {
    const lines: string[] = [];
    const progress = new PullProgress((line) => lines.push(line));
    progress.push(Buffer.from('plain text\n'));
    progress.end();
    expect(lines).toEqual(['plain text']);
  });
});

describe('pullFailureCode', () => {
  it.each([
    [
      404,
      'manifest for r/x:v1 not found: manifest unknown: manifest unknown',
      false,
      'IMAGE_NOT_FOUND',
    ],
    [
      500,
      'Head "http://r/v2/x/manifests/v1": no basic auth credentials',
      false,
      'REGISTRY_AUTH_FAILED',
    ],
    [undefined, 'unauthorized: authentication required', true, 'REGISTRY_AUTH_FAILED'],
    [500, 'denied: requested access to the resource is denied', true, 'REGISTRY_AUTH_FAILED'],
    [
      404,
      "pull access denied for x, repository does not exist or may require 'docker login'",
      false,
      'IMAGE_NOT_FOUND',
    ],
    [
      404,
      "pull access denied for x, repository does not exist or may require 'docker login'",
      true,
      'REGISTRY_AUTH_FAILED',
    ],
    [
      500,
      'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
      false,
      'ENGINE_ERROR',
    ],
  ] as const)('%s %s (credentials: %s) → %s', (status, message, hadCredentials, expected) => {
    expect(pullFailureCode(status, message, hadCredentials)).toBe(expected);
  });
});
