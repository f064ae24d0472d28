// The Kafka record shapes the codecs produce and accept. They are plain
// structures compatible with kafkajs' Message and KafkaMessage, so this
// library does not depend on the Kafka client.
import {
  buildCloudEventHeaders,
  parseCloudEventHeaders,
  type CloudEventAttributes,
  type CloudEventInput,
  type KafkaHeadersLike,
} from '../cloudevents/cloud-events.headers.js';
import { ContractDecodingError } from './contract.errors.js';

export interface KafkaRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
  /** Set only where the partition is not the key's (partition checkpoints). */
  readonly partition?: number;
}

export interface IncomingKafkaRecord {
  readonly key?: Buffer | Uint8Array | string | null;
  readonly value: Buffer | Uint8Array | null;
  readonly headers?: KafkaHeadersLike;
}

/** What a producing app adds to every record it writes. */
export interface RecordOptions {
  /** URI reference naming the producer, e.g. /tasklog/command-processor. */
  readonly source: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export function outgoingRecord(key: string, payload: Uint8Array, attributes: CloudEventInput): KafkaRecord {
  return {
    key,
    value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    headers: buildCloudEventHeaders(attributes),
  };
}

export interface DecodedEnvelope {
  readonly key: string | null;
  readonly payload: Uint8Array;
  readonly attributes: CloudEventAttributes;
}

export function incomingRecord(message: IncomingKafkaRecord): DecodedEnvelope {
  const attributes = parseCloudEventHeaders(message.headers);
  if (message.value === null || message.value.length === 0) {
    throw new ContractDecodingError(`record ${attributes.id} (${attributes.type}) has no value`);
  }
  const key = message.key === undefined || message.key === null ? null : keyText(message.key);
  if (key !== null && key !== attributes.subject) {
    throw new ContractDecodingError(`record key ${key} differs from ce_subject ${attributes.subject}`);
  }
  return { key, payload: message.value, attributes };
}

function keyText(key: Buffer | Uint8Array | string): string {
  return typeof key === 'string' ? key : Buffer.from(key).toString('utf8');
}
