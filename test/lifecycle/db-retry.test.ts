/**
 * The worker's write retries without real faults: which errors count as a lost connection (as the
 * pg driver adapter really reports them, see postgres-faults.test.ts), and the back-off's bounds.
 */
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import { isConnectionError } from '../../src/db/prisma-errors.js';
import { retrying, type RetryPolicy } from '../../src/db/retry.js';
import { withDeploymentStoreRetries } from '../../src/db/retrying-deployment-store.js';
import type { DeploymentStore } from '../../src/pipeline/deployment-store.js';

function adapterError(code: string, cause: Record<string, string>) {
  return new Prisma.PrismaClientKnownRequestError('Raw query failed.', {
    code,
    clientVersion: 'test',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
}

const terminated = adapterError('P2010', {
  kind: 'postgres',
  originalCode: '57P01',
  originalMessage: 'terminating connection due to administrator command',
});

describe('isConnectionError with the pg driver adapter', () => {
  test.each([
    ['a terminated backend (57P01)', terminated],
    [
      'a database refusing connections (55000)',
      adapterError('P2039', {
        kind: 'postgres',
        originalCode: '55000',
        originalMessage: 'database "x" is not currently accepting connections',
      }),
    ],
    ['an unreachable server', adapterError('P2010', { kind: 'DatabaseNotReachable' })],
    ['a closed connection', adapterError('P2010', { kind: 'ConnectionClosed' })],
    [
      'a connection exception (08006)',
      adapterError('P2010', { kind: 'postgres', originalCode: '08006', originalMessage: 'x' }),
    ],
    [
      'a transaction whose connection died',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
  ])('%s is one', (_label, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  test.each([
    ['a unique violation', adapterError('P2002', { kind: 'UniqueConstraintViolation' })],
    [
      'another 55000 error',
      adapterError('P2010', {
        kind: 'postgres',
        originalCode: '55000',
        originalMessage: 'cannot execute in a read-only transaction',
      }),
    ],
    [
      'a syntax error',
      adapterError('P2010', { kind: 'postgres', originalCode: '42601', originalMessage: 'x' }),
    ],
    [
      'a request error without meta',
      new Prisma.PrismaClientKnownRequestError('x', { code: 'P2025', clientVersion: 'test' }),
    ],
  ])('%s is not', (_label, error) => {
    expect(isConnectionError(error)).toBe(false);
  });
});

describe('retrying', () => {
  const policy: RetryPolicy = {
    maxElapsedMs: 60_000,
    maxAttempts: 100,
    initialDelayMs: 100,
    maxDelayMs: 5_000,
  };

  /** A fake clock that sleeping advances, so no test waits for real. */
  function fakeTime() {
    let now = 0;
    const pauses: number[] = [];
    return {
      pauses,
      hooks: {
        now: () => now,
        sleep: (ms: number) => {
          pauses.push(ms);
          now += ms;
          return Promise.resolve();
        },
      },
    };
  }

  test('retries lost connections with growing pauses until the write goes through', async () => {
    const time = fakeTime();
    let calls = 0;
    const result = await retrying(
      () => {
        calls += 1;
        return calls < 5 ? Promise.reject(terminated) : Promise.resolve('stored');
      },
      policy,
      time.hooks,
    );
    expect(result).toBe('stored');
    expect(calls).toBe(5);
    expect(time.pauses).toHaveLength(4);
    // Exponential with ±20 % jitter: 100, 200, 400, 800.
    for (const [index, pause] of time.pauses.entries()) {
      const base = 100 * 2 ** index;
      expect(pause).toBeGreaterThanOrEqual(base * 0.8);
      expect(pause).toBeLessThanOrEqual(base * 1.2);
    }
  });

  test('gives up once the time budget is spent, with the last error', async () => {
    const time = fakeTime();
    let calls = 0;
    await expect(
      retrying(
        () => {
          calls += 1;
          return Promise.reject(terminated);
        },
        policy,
        time.hooks,
      ),
    ).rejects.toBe(terminated);
    const waited = time.pauses.reduce((sum, pause) => sum + pause, 0);
    expect(waited).toBeLessThanOrEqual(policy.maxElapsedMs);
    expect(Math.max(...time.pauses)).toBeLessThanOrEqual(policy.maxDelayMs * 1.2);
    expect(calls).toBeGreaterThan(10);
    expect(calls).toBeLessThan(policy.maxAttempts);
  });

  test('gives up after maxAttempts whatever the clock says', async () => {
    const time = fakeTime();
    let calls = 0;
    await expect(
      retrying(
        () => {
          calls += 1;
          return Promise.reject(terminated);
        },
        { ...policy, maxAttempts: 3 },
        time.hooks,
      ),
    ).rejects.toBe(terminated);
    expect(calls).toBe(3);
  });

  test('does not retry an error that is not about the connection', async () => {
    const time = fakeTime();
    const rejected = adapterError('P2002', { kind: 'UniqueConstraintViolation' });
    let calls = 0;
    await expect(
      retrying(
        () => {
          calls += 1;
          return Promise.reject(rejected);
        },
        policy,
        time.hooks,
      ),
    ).rejects.toBe(rejected);
    expect(calls).toBe(1);
    expect(time.pauses).toEqual([]);
  });
});

describe('withDeploymentStoreRetries', () => {
  test('retries writes but not the heartbeat, which runs every second anyway', async () => {
    let finishCalls = 0;
    let heartbeatCalls = 0;
    const store = {
      finishStep: () => {
        finishCalls += 1;
        return finishCalls < 3 ? Promise.reject(terminated) : Promise.resolve();
      },
      heartbeat: () => {
        heartbeatCalls += 1;
        return Promise.reject(terminated);
      },
    } satisfies Partial<DeploymentStore>;
    const unused = () => Promise.reject(new Error('not used in this test'));
    const retried = withDeploymentStoreRetries(
      {
        claim: unused,
        addSteps: unused,
        startStep: unused,
        skipPendingSteps: unused,
        recordImage: unused,
        currentRelease: unused,
        activateRelease: unused,
        retainedRelease: unused,
        retainRelease: unused,
        retainedReleases: unused,
        forgetRetained: unused,
        finishDeployment: unused,
        ...store,
      },
      { logger: pino({ level: 'silent' }), sleep: () => Promise.resolve() },
    );
    await retried.finishStep('step', { status: 'succeeded' });
    expect(finishCalls).toBe(3);
    await expect(retried.heartbeat('deployment', 'worker')).rejects.toBe(terminated);
    expect(heartbeatCalls).toBe(1);
  });
});
