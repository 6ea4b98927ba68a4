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

export function createSecretRedactor(secrets: Iterable<string>): SecretRedactor {
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
  const longest = unique[0]?.length ?? 0;
  let held = '';

  function redact(text: string, final: boolean): string {
    if (longest === 0) return text;
    let out = '';
    let plainStart = 0;
    let index = 0;
    while (index < text.length) {
      const candidates = byFirstChar.get(text.charAt(index));
      if (candidates === undefined) {
        index += 1;
        continue;
      }
      const remaining = text.length - index;
      // More output could still complete a secret (or a longer one) starting here: wait for it.
      if (!final && remaining < longest) {
        const rest = text.slice(index);
        if (candidates.some((s) => s.length > remaining && s.startsWith(rest))) {
          held = rest;
          return out + text.slice(plainStart, index);
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
    held = '';
    return out + text.slice(plainStart);
  }

  return {
    push(text) {
      if (text === '') return '';
      return redact(held + text, false);
    },
    end() {
      if (held === '') return '';
      return redact(held, true);
    },
  };
}

/** One-shot masking of a complete text. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const redactor = createSecretRedactor(secrets);
  return redactor.push(text) + redactor.end();
}
