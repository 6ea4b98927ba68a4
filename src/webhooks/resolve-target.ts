import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../domain/private-address.js';

export class PrivateTargetError extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a loopback, link-local or private address`);
    this.name = 'PrivateTargetError';
  }
}

/**
 * Every address `host` resolves to; throws PrivateTargetError when any is private (unless
 * allowed), so a name with one public and one private address is refused too.
 */
export async function resolveTarget(
  host: string,
  allowPrivate: boolean,
): Promise<{ address: string; family: number }[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const addresses =
    isIP(bare) === 0
      ? await lookup(bare, { all: true, order: 'verbatim' })
      : [{ address: bare, family: isIP(bare) }];
  if (!allowPrivate) {
    const bad = addresses.find((entry) => isPrivateAddress(entry.address));
    if (bad !== undefined) throw new PrivateTargetError(host, bad.address);
  }
  return addresses;
}
