/**
 * Masks secret values in output that arrives in arbitrary pieces. A secret may be split across
 * two (or more) pieces, so text that could still turn out to be the start of a secret is held
 * back until the next piece or `end()`; nothing else is delayed.
 *
 * Values shorter than `minRedactableLength` are not masked: masking every "1" or "on" would
 * mangle the log and, through the pattern of masks, reveal the value anyway. The env API refuses
 * secrets that short, so every stored secret is masked.
 */
export const redactionMask = '*****';
export const minRedactableLength = 4;

export interface SecretRedactor {
  /** Returns the masked text that is safe to release now (possibly ''). */
  push(text: string): string;
  /** Releases (masked) whatever is still held back. */
  end(): string;
}

/** The secrets prepared once for matching; shared by every redactor of one deployment. */
export class SecretSet {
  /** Secrets by their first character, longest first within each list. */
  readonly byFirstChar: ReadonlyMap<string, readonly string[]>;
  /** Length of the longest secret; 0 when there is nothing to mask. */
  readonly longest: number;

  constructor(secrets: Iterable<string>) {
    // Longest first, so of two secrets where one contains the other the whole longer one is masked.
    const unique = [...new Set(secrets)].filter((secret) => secret.length >= minRedactableLength);
    unique.sort((a, b) => b.length - a.length);
    const byFirstChar = new Map<string, string[]>();
    for (const secret of unique) {
      const first = secret.charAt(0);
      const list = byFirstChar.get(first) ?? [];
      list.push(secret);
      byFirstChar.set(first, list);
    }
    this.byFirstChar = byFirstChar;
    this.longest = unique[0]?.length ?? 0;
  }
}

interface Scan {
  /** Masked text that is safe to release. */
  out: string;
  /** Trailing text that could still become a secret with more input ('' when final). */
  held: string;
}

/** Masks every secret in `text`; unless `final`, a trailing possible secret start is held back. */
function scan(set: SecretSet, text: string, final: boolean): Scan {
  if (set.longest === 0) return { out: text, held: '' };
  let out = '';
  let plainStart = 0;
  let index = 0;
  while (index < text.length) {
    const candidates = set.byFirstChar.get(text.charAt(index));
    if (candidates === undefined) {
      index += 1;
      continue;
    }
    const remaining = text.length - index;
    // More output could still complete a secret (or a longer one) starting here: wait for it.
    if (!final && remaining < set.longest) {
      const rest = text.slice(index);
      if (candidates.some((s) => s.length > remaining && s.startsWith(rest))) {
        return { out: out + text.slice(plainStart, index), held: rest };
      }
    }
    const match = candidates.find((secret) => text.startsWith(secret, index));
    if (match === undefined) {
      index += 1;
      continue;
    }
    out += text.slice(plainStart, index) + redactionMask;
    index += match.length;
    plainStart = index;
  }
  return { out: out + text.slice(plainStart), held: '' };
}

function asSecretSet(secrets: Iterable<string> | SecretSet): SecretSet {
  return secrets instanceof SecretSet ? secrets : new SecretSet(secrets);
}

export function createSecretRedactor(secrets: Iterable<string> | SecretSet): SecretRedactor {
  const set = asSecretSet(secrets);
  let held = '';
  return {
    push(text) {
      if (text === '') return '';
      const result = scan(set, held + text, false);
      held = result.held;
      return result.out;
    },
    end() {
      if (held === '') return '';
      const result = scan(set, held, true);
      held = '';
      return result.out;
    },
  };
}

/** One-shot masking of a complete text. */
export function redactSecrets(text: string, secrets: Iterable<string> | SecretSet): string {
  return scan(asSecretSet(secrets), text, true).out;
}

/**
 * Masks several interleaved streams of output, each with its own carry-over: a secret split in
 * one stream (stdout) is masked even when another stream (stderr) writes between its pieces, and
 * text of one stream can never complete, or break up, a secret of another.
 */
export interface StreamRedactor<Key> {
  /** Masks the next piece of the stream `key`; returns what is safe to release now. */
  push(key: Key, text: string): string;
  /** Releases (masked) what stream `key` still holds back. */
  end(key: Key): string;
  /** Releases what every stream holds back, in the order the streams first wrote. */
  endAll(): { key: Key; text: string }[];
  /** Masks a complete text (a failure reason, a step error): nothing is held back. */
  redact(text: string): string;
}

export function createStreamRedactor<Key>(
  secrets: Iterable<string> | SecretSet,
): StreamRedactor<Key> {
  const set = asSecretSet(secrets);
  const streams = new Map<Key, SecretRedactor>();
  return {
    push(key, text) {
      if (set.longest === 0) return text;
      let redactor = streams.get(key);
      if (redactor === undefined) {
        redactor = createSecretRedactor(set);
        streams.set(key, redactor);
      }
      return redactor.push(text);
    },
    end(key) {
      return streams.get(key)?.end() ?? '';
    },
    endAll() {
      const released: { key: Key; text: string }[] = [];
      for (const [key, redactor] of streams) {
        const text = redactor.end();
        if (text !== '') released.push({ key, text });
      }
      return released;
    },
    redact: (text) => redactSecrets(text, set),
  };
}
