// The one place that knows the Kafka client libraries: kafkajs for reading,
// provisioning and plain producing; @platformatic/kafka under the
// transactional writer (ADR 0024), whose types stay behind its wrapper.
export { createKafka, type KafkaClient } from './kafka.client.js';
export { ensureTopics, createTopicsAndWait, type TopicSpec, type ProvisionReport } from './topics.provisioner.js';
export {
  readPartitionRanges,
  highWatermarks,
  logRanges,
  RangeNotInLogError,
  LogRecord,
  type LogRange,
  type PartitionRange,
  type RangeMessage,
  type ReadRangesOptions,
} from './partition-range.reader.js';
export {
  TransactionalProducer,
  KafkaTransaction,
  KafkaTransactionError,
  type OutgoingRecord,
  type TransactionalProducerOptions,
  type TopicPartitionOffset,
} from './transactional.producer.js';
export {
  deadLetterRecord,
  headerValueText,
  type ConsumedRecord,
  type DeadLetterRecord,
  type Failure,
} from './dead-letter.record.js';
