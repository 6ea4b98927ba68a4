import { describe, expect, test } from 'vitest';
import { startupProbeConflicts } from '../../src/domain/startup-probe.js';
import { probeDefaults } from '../../src/schemas/settings.js';

const probe = (startupTimeoutSeconds: number, probeTimeoutSeconds: number) => ({
  ...probeDefaults,
  startupTimeoutSeconds,
  probeTimeoutSeconds,
});

describe('startupProbeConflicts', () => {
  test('the defaults are consistent', () => {
    expect(startupProbeConflicts({ ...probeDefaults })).toEqual([]);
  });

  test.each([
    [60, 10],
    [1, 1],
    [300, 300],
    [3600, 300],
    [2, 1],
  ])('startup %d s with probe timeout %d s is fine', (startup, timeout) => {
    expect(startupProbeConflicts(probe(startup, timeout))).toEqual([]);
  });

  test.each([
    [1, 2],
    [10, 11],
    [59, 300],
  ])('startup %d s with probe timeout %d s conflicts', (startup, timeout) => {
    const issues = startupProbeConflicts(probe(startup, timeout));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('/probeTimeoutSeconds');
    expect(issues[0]?.message).toContain(String(startup));
    expect(issues[0]?.message).toContain(String(timeout));
  });

  test('the other fields play no part', () => {
    expect(
      startupProbeConflicts({
        startupTimeoutSeconds: 5,
        probeTimeoutSeconds: 5,
        maxRetries: 1,
        intervalMs: 60000,
        path: '/x',
      }),
    ).toEqual([]);
  });
});
