import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest: AES-256-GCM with a fresh 12-byte nonce per value. The associated data binds a
 * sealed value to where it belongs (app and variable name), so a ciphertext copied onto another
 * app or name does not open. Sealed form: "v1.<nonce base64url>.<ciphertext+tag base64url>"; the
 * version prefix leaves room for key rotation or another algorithm later.
 */
const version = 'v1';
const algorithm = 'aes-256-gcm';
const nonceBytes = 12;
const tagBytes = 16;
export const secretKeyBytes = 32;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** Raised when a sealed value does not open: a different key, or altered data. Never garbage. */
export class SecretDecryptionError extends Error {
  constructor(what: string, options?: { cause?: unknown }) {
    super(`cannot decrypt ${what}: wrong SLIPWAY_SECRET_KEY or corrupted data`, options);
    this.name = 'SecretDecryptionError';
  }
}

/** Accepts 64 hex characters or base64/base64url of exactly 32 bytes. */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64');
    if (key.length === secretKeyBytes) return key;
  }
  throw new SecretKeyError(
    `must be ${secretKeyBytes} random bytes as 64 hex characters or base64 (e.g. \`openssl rand -hex 32\`)`,
  );
}

/** Associated data of an environment variable's value. NUL cannot occur in either part. */
export function envVarContext(applicationId: string, name: string): string {
  return `${applicationId}\0${name}`;
}

/** Associated data of an app's registry password; "-" makes it impossible as a variable name. */
export function registryPasswordContext(applicationId: string): string {
  return `${applicationId}\0registry-password`;
}

export function seal(key: Buffer, plaintext: string, context: string): string {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv(algorithm, key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `${version}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

/** `what` names the value in the error, e.g. 'secret DATABASE_PASSWORD of app "shop"'. */
export function open(key: Buffer, sealed: string, context: string, what: string): string {
  const [prefix, nonceText, bodyText, ...rest] = sealed.split('.');
  if (prefix !== version || nonceText === undefined || bodyText === undefined || rest.length > 0) {
    throw new SecretDecryptionError(what);
  }
  const nonce = Buffer.from(nonceText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (nonce.length !== nonceBytes || body.length < tagBytes) throw new SecretDecryptionError(what);
  try {
    const decipher = createDecipheriv(algorithm, key, nonce, { authTagLength: tagBytes });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - tagBytes));
    const plain = Buffer.concat([
      decipher.update(body.subarray(0, body.length - tagBytes)),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch (error) {
    throw new SecretDecryptionError(what, { cause: error });
  }
}
