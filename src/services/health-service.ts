import type { HealthProbe } from './ports.js';

export interface Readiness {
  status: 'ready' | 'unavailable';
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** Each dependency gets this long to answer, so /readyz itself never hangs. */
const probeTimeoutMs = 2000;

export function createHealthService(
  probes: readonly HealthProbe[],
  onFailure: (name: string, error: unknown) => void,
) {
  return {
    async readiness(): Promise<Readiness> {
      const results = await Promise.all(
        probes.map(async (probe): Promise<[string, { ok: boolean; error?: string }]> => {
          try {
            await withTimeout(
              probe.check(),
              probeTimeoutMs,
              `${probe.name} did not answer in time`,
            );
            return [probe.name, { ok: true }];
          } catch (error) {
            // The raw driver message can name hosts and users; the details go to the log only.
            onFailure(probe.name, error);
            return [probe.name, { ok: false, error: `${probe.name} is not reachable` }];
          }
        }),
      );
      return {
        status: results.every(([, result]) => result.ok) ? 'ready' : 'unavailable',
        checks: Object.fromEntries(results),
      };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(message));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
