import http from 'node:http';

export type ProbeAttempt = { ok: true; status: number } | { ok: false; reason: string };

/**
 * One HTTP GET, cut at timeoutMs. Redirects are not followed: a 3xx means the server is up.
 * Failures are reduced to a short reason ("refused", "timeout", "HTTP 503") for the step log.
 */
export function probeOnce(
  url: string,
  timeoutMs: number,
  host: string | null = null,
): Promise<ProbeAttempt> {
  const headers = host === null ? {} : { host };
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs, headers }, (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      response.on('error', () => {
        // The status line already arrived; a broken body does not change the verdict.
      });
      resolve(
        status >= 200 && status < 400
          ? { ok: true, status }
          : { ok: false, reason: `HTTP ${status}` },
      );
    });
    request.on('timeout', () => {
      request.destroy(new Error('timeout'));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ ok: false, reason: describeFailure(error) });
    });
  });
}

function describeFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
      return 'reset';
    case 'EPIPE':
      return 'closed';
    default:
      return error.message === 'timeout' ? 'timeout' : (error.code ?? error.message);
  }
}
