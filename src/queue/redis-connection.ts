import { Redis } from 'ioredis';

/**
 * BullMQ requires maxRetriesPerRequest: null on its connections. The offline queue is disabled so
 * a command issued while Redis is down fails at once instead of waiting for a reconnect.
 */
export function createRedisConnection(url: string, options: { lazy?: boolean } = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: false,
    lazyConnect: options.lazy ?? false,
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}
