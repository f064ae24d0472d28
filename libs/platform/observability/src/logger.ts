import { pino, type Logger } from 'pino';
import kafkajs from 'kafkajs';
import kafkajsErrors from 'kafkajs/src/protocol/error.js';

export type { Logger };

/** The root JSON logger of an app. Level from the caller's typed config. */
export function createLogger(app: string, level = 'info'): Logger {
  return pino({
    name: app,
    level,
    base: { app },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

const kafkaLevels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [kafkajs.logLevel.ERROR]: 'error',
  [kafkajs.logLevel.WARN]: 'warn',
  [kafkajs.logLevel.INFO]: 'info',
  [kafkajs.logLevel.DEBUG]: 'debug',
};

// Warnings kafkajs repeats for every client although the platform already
// does what they ask (murmur2 partitioner everywhere; bounded retries on
// transactional producers, which are re-created after any failure).
const KNOWN_NOISE = ['KafkaJS v2.0.0 switched default partitioner', 'Limiting retries for the idempotent producer'];

/**
 * The messages of the Kafka protocol errors kafkajs retries by itself (NOT_LEADER_OR_FOLLOWER,
 * COORDINATOR_LOAD_IN_PROGRESS, UNKNOWN_TOPIC_OR_PARTITION on a topic just created, …), from its
 * own error table (kafkajs is pinned to an exact version; see kafkajs.patch.ts).
 */
const RETRIABLE = new Set(kafkajsErrors.errorCodes.filter((e) => e.retriable).map((e) => e.message));

/**
 * The level a kafkajs line is logged at. kafkajs logs every error answer of
 * the broker at ERROR on the connection, and every attempt of a retried send
 * at ERROR again, although it then retries them and the operation mostly
 * succeeds (on topics just created, after a leader change). A retriable
 * answer on the connection is debug, a retried attempt a warning: an
 * operation that finally fails is reported by its caller, and its error
 * reaches the platform's code, which logs it.
 */
export function kafkaLineLevel(
  namespace: string,
  level: number,
  extra: Readonly<Record<string, unknown>>,
): 'error' | 'warn' | 'info' | 'debug' {
  const mapped = kafkaLevels[level] ?? 'info';
  if (mapped !== 'error') return mapped;
  if (namespace === 'Connection' && typeof extra['error'] === 'string' && RETRIABLE.has(extra['error'])) return 'debug';
  if (typeof extra['retryCount'] === 'number') return 'warn';
  return mapped;
}

/** Routes kafkajs' own log lines into pino, tagged with their namespace. */
export function kafkaLogCreator(logger: Logger): kafkajs.logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      if (KNOWN_NOISE.some((noise) => message.startsWith(noise))) return;
      child[kafkaLineLevel(namespace, level, extra)]({ namespace, ...extra }, message);
    };
}
