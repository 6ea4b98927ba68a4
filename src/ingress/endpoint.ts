import { isIP } from 'node:net';
import { IngressError } from './ingress-error.js';

/** Where HAProxy sends a request: an IP literal and a TCP port (no names: no DNS at switch time). */
export interface UpstreamAddress {
  ip: string;
  port: number;
}

/**
 * Reads an engine endpoint ("http://127.0.0.1:32768") as an upstream address. HAProxy's runtime
 * API takes out-of-range ports silently modulo 65536, so everything is checked here first.
 */
export function parseEndpoint(endpoint: string): UpstreamAddress {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new IngressError('INGRESS_INVALID_ARGUMENT', `endpoint ${endpoint} is not a URL`);
  }
  const ip = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol !== 'http:' || isIP(ip) === 0 || url.port === '' || url.pathname !== '/') {
    throw new IngressError(
      'INGRESS_INVALID_ARGUMENT',
      `endpoint ${endpoint} is not of the form http://<ip>:<port>`,
    );
  }
  return { ip, port: Number(url.port) };
}

export function checkAddress(address: UpstreamAddress): UpstreamAddress {
  const portOk = Number.isInteger(address.port) && address.port >= 1 && address.port <= 65535;
  if (isIP(address.ip) === 0 || !portOk) {
    throw new IngressError(
      'INGRESS_INVALID_ARGUMENT',
      `upstream ${address.ip}:${address.port} is not an IP address with a port 1-65535`,
    );
  }
  return address;
}

/** The address as HAProxy's configuration writes it (IPv6 needs its prefix to keep the port). */
export function configAddress(address: UpstreamAddress): string {
  checkAddress(address);
  return isIP(address.ip) === 6
    ? `ipv6@${address.ip}:${address.port}`
    : `${address.ip}:${address.port}`;
}

export function sameAddress(a: UpstreamAddress, b: UpstreamAddress): boolean {
  return a.ip === b.ip && a.port === b.port;
}

/** The engine-style endpoint of an upstream address (the inverse of parseEndpoint). */
export function endpointOf(address: UpstreamAddress): string {
  const { ip, port } = checkAddress(address);
  return isIP(ip) === 6 ? `http://[${ip}]:${port}` : `http://${ip}:${port}`;
}
