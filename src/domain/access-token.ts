import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API tokens: "slw_" + 32 random bytes in base64url. Only the SHA-256 is stored, so a database
 * leak does not hand out working tokens; with 256 random bits a plain hash is enough (no salt or
 * slow KDF is needed against guessing).
 */
export const tokenPrefix = 'slw_';
const tokenPattern = /^slw_[A-Za-z0-9_-]{43}$/;
/** Shown in listings so people can tell tokens apart; 4 random characters reveal nothing useful. */
const displayPrefixLength = tokenPrefix.length + 4;

export interface IssuedToken {
  token: string;
  hash: string;
  displayPrefix: string;
}

export function issueToken(): IssuedToken {
  const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), displayPrefix: token.slice(0, displayPrefixLength) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True for strings that could be a token this server issued; others need no database look-up. */
export function looksLikeIssuedToken(token: string): boolean {
  return tokenPattern.test(token);
}

/**
 * Compares a presented token with a configured one in time independent of where they differ:
 * both are hashed first, so the comparison always runs over 32 bytes whatever the lengths.
 */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}
