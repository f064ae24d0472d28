// Redis through ioredis: cache-aside and rate limits only, so clients fail
// fast (short timeouts, no offline queue) instead of hanging a request.
export { createRedis, type Redis, type RedisClientOptions } from './redis.client.js';
