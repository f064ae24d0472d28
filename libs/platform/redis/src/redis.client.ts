import { Redis } from 'ioredis';
import type { RedisConfig } from '@tasklog/platform/config';
import type { Logger } from '@tasklog/platform/observability';

export type { Redis };

/**
 * Redis only ever holds derived data here, so a slow or absent Redis must
 * cost a request a few milliseconds, never hang it: commands time out, are not
 * queued while disconnected, and reconnection goes on in the background.
 */
export function createRedis(config: RedisConfig, logger?: Logger): Redis {
  const client = new Redis(config.url, {
    keyPrefix: config.keyPrefix,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: 1000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger?.warn({ err: error.message }, 'redis unavailable');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger?.info('redis available again');
    down = false;
  });
  return client;
}
