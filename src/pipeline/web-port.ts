export type WebPortChoice =
  { ok: true; port: number; source: 'settings' | 'image' } | { ok: false; error: string };

/** The configured port wins; otherwise the first TCP port the image EXPOSEs. */
export function chooseWebPort(
  configured: number | null,
  exposedTcpPorts: readonly number[],
): WebPortChoice {
  if (configured !== null) return { ok: true, port: configured, source: 'settings' };
  const first = exposedTcpPorts[0];
  if (first !== undefined) return { ok: true, port: first, source: 'image' };
  return {
    ok: false,
    error:
      'no web port: the app has no web container port set and the image EXPOSEs no TCP port; set one with PATCH /v1/apps/{app}/settings/web-container',
  };
}
