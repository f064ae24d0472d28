// Event-log records: a RecordedEvent as a keyed Kafka record with CloudEvents
// headers, and back. The headers and the payload must tell the same story
// (type, version, task); a record where they disagree is rejected.
import type { RecordedEvent, TaskEvent } from '@tasklog/domain';
import type { CloudEventAttributes } from '../cloudevents/cloud-events.headers.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import {
  incomingRecord,
  outgoingRecord,
  type IncomingKafkaRecord,
  type KafkaRecord,
  type RecordOptions,
} from '../common/kafka-record.js';
import { eventCeType, parseEventCeType } from './event-types.js';
import { decodeStoredTaskEvent, encodeTaskEvent } from './task-event.codec.js';
import { upcastTaskEvent, type TaskEventUpcaster } from './task-event.upcasters.js';

export function taskEventRecord(recorded: RecordedEvent<TaskEvent>, options: RecordOptions): KafkaRecord {
  const { event, metadata } = recorded;
  return outgoingRecord(metadata.taskId, encodeTaskEvent(recorded), {
    ...options,
    id: metadata.eventId,
    type: eventCeType(event.type, event.schemaVersion),
    time: metadata.recordedAt,
    subject: metadata.taskId,
    causationId: metadata.causationId,
    ...(metadata.correlationId === undefined ? {} : { correlationId: metadata.correlationId }),
  });
}

export interface ReadTaskEvent {
  readonly recorded: RecordedEvent<TaskEvent>;
  /** The schema version the event was stored with, before upcasting. */
  readonly storedVersion: number;
  readonly attributes: CloudEventAttributes;
}

export function readTaskEventRecord(
  message: IncomingKafkaRecord,
  upcasters?: readonly TaskEventUpcaster[],
): ReadTaskEvent {
  const { payload, attributes } = incomingRecord(message);
  const named = parseEventCeType(attributes.type);
  if (named === null) throw new ContractDecodingError(`ce_type ${attributes.type} names no task event`);
  const stored = decodeStoredTaskEvent(payload);
  const { event, metadata } = stored;
  if (event.type !== named.eventType || event.schemaVersion !== named.version) {
    throw new ContractDecodingError(
      `ce_type ${attributes.type} does not match the payload (${event.type} v${event.schemaVersion})`,
    );
  }
  if (metadata.taskId !== attributes.subject || event.data.taskId !== metadata.taskId) {
    throw new ContractDecodingError(`record ${attributes.id} mixes tasks ${attributes.subject} and ${metadata.taskId}`);
  }
  return {
    recorded: { event: upcastTaskEvent(event, upcasters), metadata },
    storedVersion: event.schemaVersion,
    attributes,
  };
}
