/**
 * The hostnames an app is reached at, in the order GET /v1/apps/{app}/domains lists them: the
 * default `<app>.<SLIPWAY_BASE_DOMAIN>` first (unless another app was given it explicitly), then
 * the app's own, sorted. The first one is the app's primary hostname (the probe's Host header).
 */
export function appHostnames(input: {
  name: string;
  /** The hostnames given to the app through the API. */
  own: string[];
  baseDomain: string | null;
  /** Whether another app was given this hostname explicitly. */
  givenElsewhere: (hostname: string) => boolean;
}): string[] {
  const own = [...input.own].sort();
  if (input.baseDomain === null) return own;
  const fallback = `${input.name}.${input.baseDomain}`;
  if (own.includes(fallback) || input.givenElsewhere(fallback)) return own;
  return [fallback, ...own];
}
