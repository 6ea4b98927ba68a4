import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** Connect on first command instead of at once. */
  lazy?: boolean;
  /**
   * Fail commands at once while disconnected (the API: answer 503 now rather than hang). Workers
   * keep the offline queue so they carry on by themselves after Redis comes back.
   */
  failFast?: boolean;
}

/** BullMQ requires maxRetriesPerRequest: null on its connections. */
export function createRedisConnection(url: string, options: RedisConnectionOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: !(options.failFast ?? true),
    lazyConnect: options.lazy ?? false,
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}
