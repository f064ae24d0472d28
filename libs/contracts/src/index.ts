// Public API of the Kafka contract: topics, CloudEvents headers, codecs
// between domain objects and the protobuf messages of proto/tasklog/v1, and
// the upcasters that keep old event versions readable.
export * as proto from './proto.js';
export * from './topics.js';
export * from './cloudevents/cloud-events.headers.js';
export { CloudEventHeaderError, ContractDecodingError, ContractEncodingError } from './common/contract.errors.js';
export type { IncomingKafkaRecord, KafkaRecord, RecordOptions } from './common/kafka-record.js';
export { toTaskRepresentation, type TaskRepresentation } from './common/task-representation.js';
export { taskStateFromProto, taskStateToProto, taskViewFromProto, taskViewToProto } from './common/task-state.codec.js';
export * from './events/event-types.js';
export type { StoredTaskEvent, TaskCreatedV1 } from './events/legacy-task.events.js';
export { TASK_EVENT_UPCASTERS, upcastTaskEvent, type TaskEventUpcaster } from './events/task-event.upcasters.js';
export {
  decodeStoredTaskEvent,
  decodeTaskEvent,
  encodeTaskEvent,
  type StoredRecordedEvent,
} from './events/task-event.codec.js';
export { readTaskEventRecord, taskEventRecord, type ReadTaskEvent } from './events/task-event.record.js';
export { decodeTaskCommand, encodeTaskCommand } from './commands/task-command.codec.js';
export { commandCeType, readTaskCommandRecord, taskCommandRecord } from './commands/task-command.record.js';
export * from './results/command-result.codec.js';
export * from './results/command-result.record.js';
export * from './snapshots/task-snapshot.codec.js';
export * from './snapshots/task-snapshot.record.js';
