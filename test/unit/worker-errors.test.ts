import { describe, expect, test } from 'vitest';
import { classifyWorkerError } from '../../src/queue/worker-errors.js';

const id = '0f7c2a4e-5b1d-4c3e-9a8f-1b2c3d4e5f60';

describe('classifying BullMQ worker errors', () => {
  test('a lost lock after a Redis restart is an expected recovery (warn)', () => {
    const known = classifyWorkerError(new Error(`could not renew lock for job ${id}`));
    expect(known).toMatchObject({ level: 'warn', deploymentId: id });
    expect(known.message).toMatch(/^queue lock of a running deployment lost \(Redis restarted/);
  });

  test.each([
    [`Missing key for job ${id}. moveToFinished`, 'moveToFinished'],
    [`Missing lock for job ${id}. moveToFinished`, 'moveToFinished'],
    [`Missing key for job ${id}. moveToDelayed`, 'moveToDelayed'],
  ])('%s is an expected recovery (warn) naming the command', (message, command) => {
    const known = classifyWorkerError(new Error(message));
    expect(known).toMatchObject({ level: 'warn', deploymentId: id });
    expect(known.message).toContain(`gone from Redis at ${command}`);
    expect(known.message).toContain('outcome is in PostgreSQL');
  });

  test.each([
    'Connection is closed.',
    'connect ECONNREFUSED 127.0.0.1:6379',
    `Missing key for parent job bull:x:${id}. moveToFinished`,
    `Lock mismatch for job ${id}. Cmd moveToFinished from active`,
    `could not renew lock for job ${id} and something else`,
    'boom',
  ])('anything else stays an error: %s', (message) => {
    expect(classifyWorkerError(new Error(message))).toEqual({ level: 'error', message });
  });

  test('non-Error values are classified by their text', () => {
    expect(classifyWorkerError(`could not renew lock for job ${id}`)).toMatchObject({
      level: 'warn',
      deploymentId: id,
    });
    expect(classifyWorkerError(42)).toEqual({ level: 'error', message: '42' });
  });
});
