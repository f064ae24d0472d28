import { Redis } from 'ioredis';
import type { RedisConfig } from '@tasklog/platform/config';
import type { Logger } from '@tasklog/platform/observability';

export type { Redis };

/**
 * Redis only ever holds derived data here, so a slow or absent Redis must
 * cost a request a few milliseconds, never hang it: commands time out, are not
 * queued while disconnected, and reconnection goes on in the background.
 */
export interface RedisClientOptions {
  /**
   * Commands issued in one event-loop turn go out in one write (ioredis
   * auto-pipelining): one system call instead of one per command on a hot
   * path. Only for a client whose users never rely on the order between an
   * explicit pipeline or MULTI and single commands issued in the same turn
   * (an explicit pipeline is written at once, auto-pipelined commands on the
   * next tick).
   */
  readonly autoPipelining?: boolean;
}

export function createRedis(config: RedisConfig, logger?: Logger, options: RedisClientOptions = {}): Redis {
  const client = new Redis(config.url, {
    enableAutoPipelining: options.autoPipelining ?? false,
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
