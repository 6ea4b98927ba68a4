import { describe, expect, test } from 'vitest';
import { safeText } from '../../src/schemas/text.js';

const singleLine = safeText({ min: 1, max: 10 });
const multiline = safeText({ min: 0, max: 10, multiline: true });

describe('safeText', () => {
  test.each(['a', 'plain text', '🚀🚀🚀', 'é\u0301', '\u202eRTL', 'a\u200bb'])(
    'accepts %j on one line',
    (value) => {
      expect(singleLine.safeParse(value).success).toBe(true);
    },
  );

  test.each([
    ['NUL', 'a\u0000'],
    ['a newline', 'a\nb'],
    ['a tab', 'a\tb'],
    ['a carriage return', 'a\rb'],
    ['ESC', '\u001b[0m'],
    ['DEL', 'a\u007f'],
    ['a C1 control', 'a\u0085'],
    ['a lone high surrogate', 'a\ud800'],
    ['a lone low surrogate', '\udc00a'],
    ['reversed surrogates', '\udc00\ud800'],
    ['empty (below min)', ''],
    ['11 code units (above max)', 'x'.repeat(11)],
  ])('rejects %s on one line', (_label, value) => {
    expect(singleLine.safeParse(value).success).toBe(false);
  });

  test('multiline text allows tab, newline and carriage return only', () => {
    expect(multiline.safeParse('a\tb\nc\r\nd').success).toBe(true);
    expect(multiline.safeParse('').success).toBe(true);
    for (const bad of ['\u0000', '\u000b', '\u000c', '\u001b', '\u007f', '\u0085', '\ud800']) {
      expect(multiline.safeParse(`a${bad}`).success).toBe(false);
    }
  });

  test('length is counted in code points, as PostgreSQL VARCHAR(n) counts characters', () => {
    // 10 emoji are 20 UTF-16 code units but 10 characters: at the limit; an eleventh is over.
    expect(singleLine.safeParse('🚀'.repeat(10)).success).toBe(true);
    expect(singleLine.safeParse('🚀'.repeat(10) + 'a').success).toBe(false);
    expect(singleLine.safeParse('x'.repeat(10)).success).toBe(true);
  });

  test('rejects non-strings', () => {
    for (const value of [1, null, undefined, {}, [], true]) {
      expect(singleLine.safeParse(value).success).toBe(false);
    }
  });
});
