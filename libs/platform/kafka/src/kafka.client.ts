import kafkajs from 'kafkajs';
import type { KafkaConfig } from '@tasklog/platform/config';
import { kafkaLogCreator, type Logger } from '@tasklog/platform/observability';
import './kafkajs.patch.js';

export type KafkaClient = kafkajs.Kafka;

/**
 * A kafkajs client with the platform's defaults. Every producer of a keyed
 * topic must use kafkajs' default (Java-compatible murmur2) partitioner, so a
 * task's commands, events and snapshots land in partitions with one number.
 */
export function createKafka(
  config: Pick<KafkaConfig, 'brokers' | 'clientId' | 'connectionTimeoutMs' | 'requestTimeoutMs'>,
  logger: Logger,
): KafkaClient {
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
