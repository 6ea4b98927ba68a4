/**
 * The HAProxy configuration and host map, generated from the desired state (PostgreSQL is the
 * source of truth; nothing here is edited by hand). Pure: text in, text out. The runtime API then
 * changes slots and map entries without a reload; a reload is only for a changed set of apps.
 */
import { configAddress, type UpstreamAddress } from './endpoint.js';
import { IngressError } from './ingress-error.js';

export interface IngressApp {
  /** Stable key of the app (its id): a rename must not rename its backend. */
  key: string;
  /** Lower-case hostnames routed to the app. */
  hostnames: string[];
  /** Server slots in the backend: room for the live set and a candidate set side by side. */
  slots: number;
  /** Where the live release answers now; these slots start ready, the others in maintenance. */
  live: UpstreamAddress[];
}

export interface IngressSettings {
  /** Where the HTTP frontend listens. */
  bind: { address: string; port: number };
  /** The admin socket (runtime API); never published, mode 600. */
  adminSocket: string;
  /** Absolute path of the host map file the frontend loads. */
  mapFile: string;
  /** Retry-After of the 503 for an app with no live release. */
  retryAfterSeconds: number;
  /** How long an old worker may keep serving its in-flight requests after a reload. */
  hardStopAfterSeconds: number;
}

export interface IngressDesiredState {
  settings: IngressSettings;
  apps: IngressApp[];
}

const keyPattern = /^[A-Za-z0-9_-]{1,100}$/;
const hostPattern = /^[a-z0-9.-]{1,253}$/;
const placeholder = '127.0.0.1:1';

export const notFoundBody = 'No application is served at this address.';
export const unavailableBody = 'This application has no live release right now; try again shortly.';

export function backendName(appKey: string): string {
  if (!keyPattern.test(appKey)) {
    throw new IngressError('INGRESS_INVALID_ARGUMENT', `app key ${appKey} is not a plain word`);
  }
  return `app_${appKey}`;
}

export function slotName(index: number): string {
  return `s${index + 1}`;
}

/** The host map: "<hostname> <backend>" lines, sorted, so equal states give equal files. */
export function renderHostMap(apps: IngressApp[]): string {
  const lines = apps.flatMap((app) =>
    app.hostnames.map((host) => {
      if (!hostPattern.test(host)) {
        throw new IngressError('INGRESS_INVALID_ARGUMENT', `hostname ${host} is not lower-case`);
      }
      return `${host} ${backendName(app.key)}`;
    }),
  );
  return lines
    .sort()
    .map((line) => `${line}\n`)
    .join('');
}

export function renderHaproxyConfig(state: IngressDesiredState): string {
  const { settings } = state;
  return [
    renderGlobal(settings),
    renderDefaults(),
    renderFrontend(settings),
    ...[...state.apps]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((app) => renderBackend(app, settings)),
  ].join('\n');
}

function renderGlobal(settings: IngressSettings): string {
  return lines([
    'global',
    // Master-worker: a reload (SIGUSR2 to the master) starts a new worker beside the old one.
    '  master-worker',
    // expose-fd listeners: the new worker takes the listening sockets over from the old one, so
    // no connection is refused during a reload.
    `  stats socket ${quoted(settings.adminSocket)} mode 600 level admin expose-fd listeners`,
    '  stats timeout 30s',
    `  hard-stop-after ${settings.hardStopAfterSeconds}s`,
  ]);
}

function renderDefaults(): string {
  return lines([
    'defaults',
    '  mode http',
    // A worker that is stopping closes idle keep-alive connections only after a response, so a
    // client never sends a request on a connection that is being closed (a reload lost requests
    // without it, see issue 10).
    '  option idle-close-on-response',
    '  option forwardfor',
    '  retries 2',
    // Only connection failures are retried elsewhere; a request sent is never sent twice.
    '  option redispatch 1',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 10s',
    '  timeout http-keep-alive 10s',
  ]);
}

function renderFrontend(settings: IngressSettings): string {
  const { address, port } = settings.bind;
  return lines([
    'frontend slipway_http',
    `  bind ${address.includes(':') ? `[${address}]` : address}:${port}`,
    // Host without its port, lower-cased, looked up in the map the runtime API edits.
    `  http-request set-var(txn.slipway_backend) req.hdr(host),lower,word(1,:),map(${plainPath(settings.mapFile)})`,
    `  http-request return status 404 content-type "text/plain; charset=utf-8" string "${notFoundBody}\\n" unless { var(txn.slipway_backend) -m found }`,
    '  use_backend %[var(txn.slipway_backend)]',
  ]);
}

function renderBackend(app: IngressApp, settings: IngressSettings): string {
  if (!Number.isInteger(app.slots) || app.slots < 1 || app.live.length > app.slots) {
    throw new IngressError(
      'INGRESS_INVALID_ARGUMENT',
      `app ${app.key} has ${app.live.length} live endpoint(s) for ${app.slots} slot(s)`,
    );
  }
  const servers = Array.from({ length: app.slots }, (_, index) => {
    const live = app.live[index];
    // Free slots get a placeholder address and stay in maintenance until a switch fills them.
    return live === undefined
      ? `  server ${slotName(index)} ${placeholder} disabled`
      : `  server ${slotName(index)} ${configAddress(live)}`;
  });
  return lines([
    `backend ${backendName(app.key)}`,
    '  balance roundrobin',
    // HAProxy's own 503 (no usable server in the backend) as a plain page; an app's own 503s
    // pass through untouched. Not `http-request return … if { nbsrv() eq 0 }`: with that rule,
    // 9-17 of 2,000 requests got this 503 across three reloads (test/ingress, reload under load).
    `  http-error status 503 content-type "text/plain; charset=utf-8" hdr Retry-After ${settings.retryAfterSeconds} string "${unavailableBody}\\n"`,
    ...servers,
  ]);
}

/** A sample-fetch argument is not a config word: no quotes there, so only plain paths. */
function plainPath(path: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(path)) {
    throw new IngressError('INGRESS_INVALID_ARGUMENT', `map path ${path} must be a plain path`);
  }
  return path;
}

function lines(values: string[]): string {
  return values.map((value) => `${value}\n`).join('');
}

/** Paths are Slipway's own, but a space in a temp dir must not split the argument. */
function quoted(path: string): string {
  if (/["\n\\]/.test(path)) {
    throw new IngressError('INGRESS_INVALID_ARGUMENT', `path ${path} cannot go into haproxy.cfg`);
  }
  return `"${path}"`;
}
