import kafkajs from 'kafkajs';
import type { KafkaConfig } from '@tasklog/platform/config';
import { kafkaLogCreator, type Logger } from '@tasklog/platform/observability';

export type KafkaClient = kafkajs.Kafka;

/**
 * A kafkajs client with the platform's defaults. Every producer of a keyed
 * topic must use kafkajs' default (Java-compatible murmur2) partitioner, so a
 * task's commands, events and snapshots land in partitions with one number.
 */
let warningFilterInstalled = false;

/**
 * kafkajs 2.2.4 arms a timer with a negative delay while it has no throttle
 * deadline; Node 24 warns on every connection (the timer fires after 1 ms, as
 * kafkajs expects). Drop that one warning, print every other one as Node would.
 */
function silenceKafkajsTimerWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const original = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    if (original.length > 0) for (const listener of original) listener(warning);
    else process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
}

export function createKafka(
  config: Pick<KafkaConfig, 'brokers' | 'clientId' | 'connectionTimeoutMs' | 'requestTimeoutMs'>,
  logger: Logger,
): KafkaClient {
  silenceKafkajsTimerWarning();
  return new kafkajs.Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logCreator: kafkaLogCreator(logger),
    logLevel: logger.isLevelEnabled('debug') ? kafkajs.logLevel.DEBUG : kafkajs.logLevel.WARN,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
  });
}
