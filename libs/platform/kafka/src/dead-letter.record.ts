// The dead-letter record every consumer writes for a record it cannot handle
// (STYLE.md rule 5): the original key, value and headers, plus why, where and
// when it failed and which consumer gave up on it.
import type kafkajs from 'kafkajs';

/** A consumed record, as the consumers read it (kafkajs' KafkaMessage and LogRecord fit). */
export interface ConsumedRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly offset: string;
  readonly headers?: Readonly<Record<string, kafkajs.IHeaders[string] | null>>;
}

export interface DeadLetterRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

export interface Failure {
  readonly partition: number;
  /** The consumer that gave up, e.g. `projector`. */
  readonly consumer: string;
  readonly error: unknown;
  /** A short classification put before the error message, e.g. `undecodable`. */
  readonly reason?: string;
}

/** A header (or key) as text; kafkajs hands repeated headers over as arrays. */
export function headerValueText(value: kafkajs.IHeaders[string] | Buffer | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

export function deadLetterRecord(message: ConsumedRecord, failure: Failure): DeadLetterRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const text = headerValueText(value);
    if (text !== undefined) headers[name] = text;
  }
  const { error } = failure;
  const why = error instanceof Error ? error.message : String(error);
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...headers,
      'dlq-reason': failure.reason ? `${failure.reason}: ${why}` : why,
      'dlq-error-class': error instanceof Error ? error.name : 'Error',
      'dlq-original-partition': String(failure.partition),
      'dlq-original-offset': message.offset,
      'dlq-failed-at': new Date().toISOString(),
      'dlq-consumer': failure.consumer,
    },
  };
}
