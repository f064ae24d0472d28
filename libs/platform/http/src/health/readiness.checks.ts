// Readiness probes of the dependencies an app uses, each through the very
// client the app uses (its ORM pool, its Redis client, its Kafka client), so
// "ready" means the app itself can reach them.
import type { KafkaClient } from '@tasklog/platform/kafka';
import type { Orm } from '@tasklog/platform/postgres';
import type { Redis } from '@tasklog/platform/redis';

export interface ReadinessCheck {
  readonly name: string;
  /** A failing non-critical check makes the app `degraded` (still 200), not unready. */
  readonly critical: boolean;
  probe(): Promise<void>;
  close?(): Promise<void>;
}

export function postgresCheck(orm: Orm): ReadinessCheck {
  return {
    name: 'postgres',
    critical: true,
    probe: async () => {
      await orm.em.getConnection().execute('select 1');
    },
  };
}

/** Redis only holds derived data and rate-limit counters, which fail open: its loss degrades, it does not unready. */
export function redisCheck(redis: Redis): ReadinessCheck {
  return {
    name: 'redis',
    critical: false,
    probe: async () => {
      if ((await redis.ping()) !== 'PONG') throw new Error('unexpected PING reply');
    },
  };
}

export function kafkaCheck(kafka: KafkaClient): ReadinessCheck {
  let admin: ReturnType<KafkaClient['admin']> | undefined;
  let connecting: Promise<void> | undefined;
  const connected = () => {
    admin ??= kafka.admin();
    const current = admin;
    connecting ??= current.connect().catch((error: unknown) => {
      // A failed connection is dropped so the next probe starts afresh.
      connecting = undefined;
      admin = undefined;
      void current.disconnect().catch(() => undefined);
      throw error;
    });
    return connecting.then(() => current);
  };
  return {
    name: 'kafka',
    critical: true,
    probe: async () => {
      await (await connected()).describeCluster();
    },
    close: async () => {
      await admin?.disconnect().catch(() => undefined);
    },
  };
}
