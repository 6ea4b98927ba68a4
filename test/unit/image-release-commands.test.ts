import { describe, expect, test } from 'vitest';
import {
  readDeclaredCommands,
  releaseCommandsLabel,
} from '../../src/pipeline/image-release-commands.js';

const read = (value: string) => readDeclaredCommands({ [releaseCommandsLabel]: value });
const prefix = `image label ${releaseCommandsLabel}: `;

describe('image-declared release commands', () => {
  test('no label, or an empty one, declares nothing', () => {
    expect(readDeclaredCommands({})).toEqual({ ok: true, commands: [] });
    expect(read('  ')).toEqual({ ok: true, commands: [] });
  });

  test('valid commands get the same default timeout as API ones', () => {
    expect(
      read(
        '[{"label":"migrate","command":"echo a\\necho b"},{"label":"x","command":"y","timeoutSeconds":5}]',
      ),
    ).toEqual({
      ok: true,
      commands: [
        { label: 'migrate', command: 'echo a\necho b', timeoutSeconds: 1800 },
        { label: 'x', command: 'y', timeoutSeconds: 5 },
      ],
    });
  });

  test.each([
    [
      'a newline in a label (a forged log line)',
      '[{"label":"x\\n===== activate =====","command":"true"}]',
      '[0].label: must not contain control characters',
    ],
    [
      'NUL in a command',
      '[{"label":"ok","command":"a"},{"label":"b","command":"x\\u0000y"}]',
      '[1].command: must not contain control characters other than tab and newline',
    ],
    [
      'an escape sequence in a command',
      '[{"label":"ok","command":"\\u001b[2J"}]',
      '[0].command: must not contain control characters other than tab and newline',
    ],
    [
      'a lone surrogate',
      '[{"label":"\\ud800","command":"true"}]',
      '[0].label: must be well-formed Unicode (no lone surrogates)',
    ],
    ['an empty label', '[{"label":"","command":"true"}]', '[0].label: Too small'],
    [
      'a label over 200 characters',
      `[{"label":"${'a'.repeat(201)}","command":"true"}]`,
      '[0].label: Too big',
    ],
    [
      'a command over 10000 characters',
      `[{"label":"a","command":"${'a'.repeat(10001)}"}]`,
      '[0].command: Too big',
    ],
    [
      'a timeout out of range',
      '[{"label":"a","command":"b","timeoutSeconds":0}]',
      '[0].timeoutSeconds: Too small',
    ],
    ['an unknown key', '[{"label":"a","command":"b","timeout":5}]', '[0]: Unrecognized key'],
    ['not an array', '{"label":"a","command":"b"}', '(top level): Invalid input'],
  ])('%s is refused with where and why', (_what, label, problem) => {
    const result = read(label);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.startsWith(`${prefix}${problem}`), result.error).toBe(true);
    expect(result.error).not.toContain('=====');
  });

  test('more than 100 commands is refused', () => {
    const many = JSON.stringify(Array.from({ length: 101 }, () => ({ label: 'a', command: 'b' })));
    const result = read(many);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok)
      expect(result.error).toMatch(
        /^image label io\.slipway\.release-commands: \(top level\): Too big/,
      );
  });

  test('invalid JSON is refused without echoing it', () => {
    expect(read('[{"label": "x\n===== activate =====", ')).toEqual({
      ok: false,
      error: `${prefix}not valid JSON (expected an array of {label, command, timeoutSeconds?})`,
    });
  });
});
