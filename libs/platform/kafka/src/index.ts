// The one place that knows Kafka: kafkajs for most consumer groups,
// provisioning and plain producing; its own protocol code for reading
// partition ranges (ADR 0042), for the transactional writer (ADR 0051) and
// for the projector's group consumer (ADR 0052).
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
  GroupConsumer,
  type ConsumedBatch,
  type Generation,
  type GroupConsumerHandlers,
  type GroupConsumerOptions,
} from './group.consumer.js';
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
