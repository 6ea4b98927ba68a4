import { describe, expect, test } from 'vitest';
import {
  createSecretRedactor,
  createStreamRedactor,
  minRedactableLength,
  redactionMask,
  redactSecrets,
  SecretSet,
} from '../../src/domain/secret-redactor.js';

/** Feeds the text in the given pieces and returns everything released, in order. */
function stream(secrets: string[], pieces: string[]): string {
  const redactor = createSecretRedactor(secrets);
  return pieces.map((piece) => redactor.push(piece)).join('') + redactor.end();
}

/** One piece per UTF-16 code unit: the hardest cut there is. */
function units(text: string): string[] {
  return Array.from({ length: text.length }, (_, at) => text.charAt(at));
}

/** Every way of cutting `text` into two pieces, and one piece per character. */
function splits(text: string): string[][] {
  const cuts = Array.from({ length: text.length + 1 }, (_, at) => [
    text.slice(0, at),
    text.slice(at),
  ]);
  return [...cuts, units(text)];
}

describe('secret redactor', () => {
  test('masks every occurrence of a secret in one piece', () => {
    expect(redactSecrets('a hunter22 b hunter22', ['hunter22'])).toBe(
      `a ${redactionMask} b ${redactionMask}`,
    );
  });

  test('text without secrets passes through unchanged', () => {
    expect(redactSecrets('nothing to see\n', ['hunter22'])).toBe('nothing to see\n');
    expect(redactSecrets('nothing to see\n', [])).toBe('nothing to see\n');
  });

  test.each(splits('before hunter22 after\n'))(
    'a secret split across pieces is still masked: %j',
    (...pieces: string[]) => {
      expect(stream(['hunter22'], pieces)).toBe(`before ${redactionMask} after\n`);
    },
  );

  test('a secret split over many pieces, one character at a time', () => {
    const secret = 'correct-horse-battery-staple';
    const text = `x${secret}y${secret}`;
    expect(stream([secret], units(text))).toBe(`x${redactionMask}y${redactionMask}`);
  });

  test('no part of a secret is released before it is known not to be one', () => {
    const redactor = createSecretRedactor(['s3cr3t-value']);
    const released = [redactor.push('log: s3cr'), redactor.push('3t-va')];
    for (const part of released) expect(part).not.toMatch(/s3cr/);
    expect(released.join('') + redactor.push('lue done') + redactor.end()).toBe(
      `log: ${redactionMask} done`,
    );
  });

  test('text held back as a possible secret is released at the end when it was not one', () => {
    expect(stream(['hunter22'], ['tail hunt'])).toBe('tail hunt');
    expect(stream(['hunter22'], ['tail hunt', 'ing'])).toBe('tail hunting');
  });

  test('only the possible start of a secret is held back, not the whole piece', () => {
    const redactor = createSecretRedactor(['hunter22']);
    expect(redactor.push('line one\nline two hun')).toBe('line one\nline two ');
    expect(redactor.push('gry\n')).toBe('hungry\n');
  });

  test('longest secret first when one contains another', () => {
    expect(redactSecrets('pass=abcdefgh', ['abcd', 'abcdefgh'])).toBe(`pass=${redactionMask}`);
    expect(redactSecrets('pass=abcdefgh', ['abcdefgh', 'abcd'])).toBe(`pass=${redactionMask}`);
    expect(redactSecrets('abcd!', ['abcd', 'abcdefgh'])).toBe(`${redactionMask}!`);
  });

  test('the longer secret wins even when the shorter one completes in an earlier piece', () => {
    expect(stream(['abcd', 'abcdefgh'], ['xx abcd', 'efgh yy'])).toBe(`xx ${redactionMask} yy`);
    expect(stream(['abcd', 'abcdefgh'], ['xx abcd', 'e'])).toBe(`xx ${redactionMask}e`);
  });

  test('overlapping occurrences and repeated characters', () => {
    expect(redactSecrets('aaaab', ['aaab'])).toBe(`a${redactionMask}`);
    expect(stream(['aaab'], ['aa', 'aa', 'b'])).toBe(`a${redactionMask}`);
    expect(redactSecrets('xyxyxy', ['xyxy'])).toBe(`${redactionMask}xy`);
  });

  test('secrets with regex metacharacters, newlines and non-ASCII text are matched literally', () => {
    const secrets = ['a.b*c+(d)', 'line1\nline2', 'pässwörd-🔑'];
    expect(redactSecrets('a.b*c+(d) axbbc line1\nline2 pässwörd-🔑', secrets)).toBe(
      `${redactionMask} axbbc ${redactionMask} ${redactionMask}`,
    );
    expect(stream(secrets, ['line1', '\nline2 päss', 'wörd-🔑'])).toBe(
      `${redactionMask} ${redactionMask}`,
    );
  });

  test(`values shorter than ${minRedactableLength} characters and empty values are ignored`, () => {
    expect(redactSecrets('on 1 abc', ['', 'on', '1', 'abc'])).toBe('on 1 abc');
    expect(redactSecrets('abcd', ['abcd'])).toBe(redactionMask);
  });

  test('duplicate secrets are harmless', () => {
    expect(redactSecrets('k=hunter22', ['hunter22', 'hunter22'])).toBe(`k=${redactionMask}`);
  });

  test('after end() the redactor can be used again', () => {
    const redactor = createSecretRedactor(['hunter22']);
    expect(redactor.push('a hunt') + redactor.end()).toBe('a hunt');
    expect(redactor.push('hunter') + redactor.push('22') + redactor.end()).toBe(redactionMask);
  });

  test('random text cut at random places never releases a secret', () => {
    const secrets = ['Zq9-secret-A', 'Zq9-secret-AB', 'w!th$pecial'];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const words = Array.from({ length: 30 }, () => {
        const pick = random();
        if (pick < 0.15) return secrets[Math.floor(random() * secrets.length)] ?? '';
        if (pick < 0.3) return 'Zq9-sec';
        return Math.floor(random() * 1e6).toString(36);
      });
      const text = words.join(random() < 0.5 ? ' ' : '');
      const pieces: string[] = [];
      for (let at = 0; at < text.length;) {
        const size = 1 + Math.floor(random() * 12);
        pieces.push(text.slice(at, at + size));
        at += size;
      }
      const out = stream(secrets, pieces);
      expect(out).toBe(redactSecrets(text, secrets));
      for (const secret of secrets) expect(out).not.toContain(secret);
    }
  });
});

describe('stream redactor (one carry-over per stream)', () => {
  const secret = 'CANARY-6c25b65c7da464058a004';

  test('a secret split in stdout is masked although stderr writes between its pieces', () => {
    const redactor = createStreamRedactor<'stdout' | 'stderr'>([secret]);
    const out = [
      redactor.push('stdout', `interleaved:${secret.slice(0, 15)}`),
      redactor.push('stderr', ' warning\n'),
      redactor.push('stdout', `${secret.slice(15)}\n`),
      ...redactor.endAll().map((part) => part.text),
    ];
    const text = out.join('');
    expect(text).not.toContain(secret.slice(0, 15));
    expect(text).not.toContain(secret.slice(15));
    expect(text).toBe(`interleaved: warning\n${redactionMask}\n`);
  });

  test('negative control: one shared carry-over for both streams leaks the same output', () => {
    const shared = createSecretRedactor([secret]);
    const text =
      shared.push(`interleaved:${secret.slice(0, 15)}`) +
      shared.push(' warning\n') +
      shared.push(`${secret.slice(15)}\n`) +
      shared.end();
    expect(text).toContain(secret.slice(15));
  });

  test('one stream cannot complete a secret begun in another', () => {
    const redactor = createStreamRedactor<string>(['hunter22']);
    const text =
      redactor.push('a', 'hunter') +
      redactor.push('b', '22 done') +
      redactor
        .endAll()
        .map((part) => part.text)
        .join('');
    expect(text).toBe('22 donehunter');
  });

  test('every cut of either stream, with the other stream writing at the cut, masks both', () => {
    const line = `x ${secret} y\n`;
    for (let at = 0; at <= line.length; at++) {
      const redactor = createStreamRedactor<'stdout' | 'stderr'>([secret]);
      const parts = [
        redactor.push('stdout', line.slice(0, at)),
        redactor.push('stderr', `e${secret.slice(0, 5)}`),
        redactor.push('stdout', line.slice(at)),
        redactor.push('stderr', `${secret.slice(5)}\n`),
        ...redactor.endAll().map((part) => part.text),
      ];
      const text = parts.join('');
      expect(text, `cut at ${at}`).not.toContain(secret.slice(0, 5));
      expect(text.split(redactionMask).length - 1, `cut at ${at}`).toBe(2);
    }
  });

  test('end(key) releases only that stream; endAll() releases the rest in first-write order', () => {
    const redactor = createStreamRedactor<string>(['hunter22']);
    expect(redactor.push('b', 'hunt')).toBe('');
    expect(redactor.push('a', 'hun')).toBe('');
    expect(redactor.end('a')).toBe('hun');
    expect(redactor.push('a', 'hunte')).toBe('');
    expect(redactor.endAll()).toEqual([
      { key: 'b', text: 'hunt' },
      { key: 'a', text: 'hunte' },
    ]);
    expect(redactor.endAll()).toEqual([]);
  });

  test('redact() masks every secret in a complete text and holds nothing back', () => {
    const redactor = createStreamRedactor<string>(['hunter22', 'reguser:REGPW-1234']);
    expect(redactor.redact('401: bad credentials reguser:REGPW-1234 (hunter22) hunt')).toBe(
      `401: bad credentials ${redactionMask} (${redactionMask}) hunt`,
    );
    // A complete text ending in the start of a secret is not held: it is returned whole.
    expect(redactor.redact('ends in hunter2')).toBe('ends in hunter2');
    expect(redactor.endAll()).toEqual([]);
  });

  test('without secrets, text passes through at once', () => {
    const redactor = createStreamRedactor<string>([]);
    expect(redactor.push('a', 'anything')).toBe('anything');
    expect(redactor.redact('anything')).toBe('anything');
  });

  test('a compiled SecretSet is shared and behaves like the plain list', () => {
    const set = new SecretSet(['hunter22', 'ab']);
    expect(set.longest).toBe(8);
    expect(redactSecrets('hunter22 ab', set)).toBe(`${redactionMask} ab`);
    expect(createStreamRedactor<string>(set).redact('x hunter22')).toBe(`x ${redactionMask}`);
  });
});
