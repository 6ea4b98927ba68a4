import { describe, expect, test } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { assertIsPermutation } from '../../src/domain/release-order.js';

const [a, b, c, x] = ['id-a', 'id-b', 'id-c', 'id-x'];

function rejection(current: string[], requested: string[]): AppError {
  try {
    assertIsPermutation(current, requested);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(requested)} to be rejected`);
}

describe('assertIsPermutation', () => {
  test.each([
    ['the same order', [a, b, c], [a, b, c]],
    ['reversed', [a, b, c], [c, b, a]],
    ['rotated', [a, b, c], [b, c, a]],
    ['a single id', [a], [a]],
    ['nothing, when there is nothing', [], []],
  ])('accepts %s', (_label, current, requested) => {
    expect(() => {
      assertIsPermutation(current, requested);
    }).not.toThrow();
  });

  test.each([
    ['a repeated id replacing one', [a, b, c], [a, a, c]],
    ['a repeated id on top of all', [a, b, c], [a, b, c, a]],
    ['a missing id', [a, b, c], [a, b]],
    ['an empty list', [a, b], []],
    ['an unknown id', [a, b], [a, b, x]],
    ['an unknown id replacing one', [a, b], [a, x]],
    ['ids when there are none', [], [x]],
  ])('rejects %s with 422 INVALID_ORDER at /ids', (_label, current, requested) => {
    const error = rejection(current, requested);
    expect(error.code).toBe('INVALID_ORDER');
    expect(error.status).toBe(422);
    expect(error.issues).toEqual([{ path: '/ids', message: expect.any(String) as string }]);
  });

  test('names every reason: repeated, unknown and missing', () => {
    const error = rejection([a, b, c], [a, a, x]);
    expect(error.message).toContain('some ids are repeated');
    expect(error.message).toContain(`unknown ids: ${x}`);
    expect(error.message).toContain(`missing ids: ${b}, ${c}`);
    expect(error.issues?.[0]?.message).toBe(
      `some ids are repeated; unknown ids: ${x}; missing ids: ${b}, ${c}`,
    );
  });

  test('only the applicable reasons are listed', () => {
    expect(rejection([a, b], [a]).message).not.toMatch(/repeated|unknown/);
    expect(rejection([a, b], [a, b, x]).message).not.toMatch(/repeated|missing/);
    expect(rejection([a, b], [a, b, b]).message).not.toMatch(/unknown|missing/);
  });

  test('does not modify its arguments', () => {
    const current = Object.freeze([a, b]);
    const requested = Object.freeze([b, a]);
    expect(() => {
      assertIsPermutation(current, requested);
    }).not.toThrow();
  });
});
