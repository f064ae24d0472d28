import { pino, type Logger } from 'pino';
import kafkajs from 'kafkajs';

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

/** Routes kafkajs' own log lines into pino, tagged with their namespace. */
export function kafkaLogCreator(logger: Logger): kafkajs.logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      if (KNOWN_NOISE.some((noise) => message.startsWith(noise))) return;
      child[kafkaLevels[level] ?? 'info']({ namespace, ...extra }, message);
    };
}
