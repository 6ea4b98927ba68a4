import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveTarget } from './resolve-target.js';

export interface SendResult {
  /** The receiver's status, or null when there was no answer. */
  status: number | null;
  durationMs: number;
  error: string | null;
}

/** Receivers' bodies are not needed; reading is capped so a huge answer costs nothing. */
const maxBodyBytes = 64 * 1024;

/**
 * POSTs one signed payload. The connection goes to an address checked at this moment (the
 * lookup is done here, not by a second resolution inside the HTTP client), so a name that
 * changes to a private address after creation is still refused.
 */
export async function sendWebhook(options: {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}): Promise<SendResult> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const target = new URL(options.url);
  let checked: { address: string; family: number };
  try {
    // IP literals too: Node connects to those without any lookup, so they are checked here.
    const [first] = await resolveTarget(target.hostname, options.allowPrivate);
    if (first === undefined) throw new Error(`${target.hostname} has no address`);
    checked = first;
  } catch (error) {
    return { status: null, durationMs: took(), error: describe(error) };
  }
  // The connection goes to the address just checked, never to a second resolution.
  const lookup: LookupFunction = (_host, lookupOptions, callback) => {
    if (lookupOptions.all === true) {
      callback(null, [checked]);
    } else callback(null, checked.address, checked.family);
  };
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: {
      ...options.headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(options.body)),
      'user-agent': 'Slipway-Webhooks/1',
    },
    lookup,
    timeout: options.timeoutMs,
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ ...result, durationMs: took() });
    };
    const req = send(target, requestOptions, (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > maxBodyBytes) res.destroy();
      });
      res.on('end', () => {
        done({ status: res.statusCode ?? null, error: null });
      });
      res.on('close', () => {
        done({ status: res.statusCode ?? null, error: null });
      });
    });
    // The socket timeout only covers idle time; this bounds the whole attempt.
    const deadline = setTimeout(() => {
      req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    });
    req.on('error', (error) => {
      done({ status: null, error: describe(error) });
    });
    req.end(options.body);
  });
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}
