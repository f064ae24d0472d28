// The event log's record value: TaskEventEnvelope bytes <-> RecordedEvent.
// Decoding goes through the upcaster seam, so callers always receive the
// current version of every event.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { EventMetadata, RecordedEvent, TaskEvent } from '@tasklog/domain';
import {
  type EventMetadataSchema,
  TaskEventEnvelopeSchema,
  type EventMetadata as ProtoMetadata,
} from '../gen/tasklog/v1/events_pb.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import { fromTimestamp, toTimestamp } from '../common/time.codec.js';
import { eventFromProto, eventToProto } from './task-event-payload.codec.js';
import type { StoredTaskEvent } from './legacy-task.events.js';
import { upcastTaskEvent, type TaskEventUpcaster } from './task-event.upcasters.js';
import { decodeBinary } from '../common/fast-binary.js';
import { encodeBinary } from '../common/fast-binary.writer.js';

export interface StoredRecordedEvent {
  readonly event: StoredTaskEvent;
  readonly metadata: EventMetadata;
}

export function encodeTaskEvent({ event, metadata }: RecordedEvent<TaskEvent>): Uint8Array {
  return encodeBinary(TaskEventEnvelopeSchema, { metadata: metadataToProto(metadata), event: eventToProto(event) });
}

/** The event exactly as stored, without upcasting. */
export function decodeStoredTaskEvent(bytes: Uint8Array): StoredRecordedEvent {
  const envelope = parseEnvelope(bytes);
  if (envelope.metadata === undefined) throw new ContractDecodingError('the event envelope has no metadata');
  return { event: eventFromProto(envelope.event), metadata: metadataFromProto(envelope.metadata) };
}

export function decodeTaskEvent(bytes: Uint8Array, upcasters?: readonly TaskEventUpcaster[]): RecordedEvent<TaskEvent> {
  const stored = decodeStoredTaskEvent(bytes);
  return { event: upcastTaskEvent(stored.event, upcasters), metadata: stored.metadata };
}

function parseEnvelope(bytes: Uint8Array) {
  try {
    return decodeBinary(TaskEventEnvelopeSchema, bytes);
  } catch (cause) {
    throw new ContractDecodingError('the value is not a TaskEventEnvelope', { cause });
  }
}

function metadataToProto(metadata: EventMetadata): MessageInitShape<typeof EventMetadataSchema> {
  return {
    eventId: metadata.eventId,
    taskId: metadata.taskId,
    version: metadata.version,
    recordedAt: toTimestamp(metadata.recordedAt, 'metadata.recordedAt'),
    actorId: metadata.actorId,
    causationId: metadata.causationId,
    correlationId: metadata.correlationId,
  };
}

function metadataFromProto(metadata: ProtoMetadata): EventMetadata {
  return {
    eventId: metadata.eventId,
    taskId: metadata.taskId,
    version: metadata.version,
    recordedAt: fromTimestamp(metadata.recordedAt, 'metadata.recordedAt'),
    actorId: metadata.actorId,
    causationId: metadata.causationId,
    ...(metadata.correlationId === undefined ? {} : { correlationId: metadata.correlationId }),
  };
}
