// A record the projector cannot apply goes to tasklog.projector.dlq.v1 with
// its original key, value and headers plus why and where it failed; the
// partition then moves on (STYLE.md rule 5).
import type kafkajs from 'kafkajs';

function text(value: kafkajs.IHeaders[string] | Buffer | string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

export function deadLetterRecord(
  message: kafkajs.KafkaMessage,
  partition: number,
  reason: 'undecodable' | 'not-applicable',
  error: Error,
): kafkajs.Message {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const v = text(value);
    if (v !== undefined) headers[name] = v;
  }
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...headers,
      'dlq-reason': `${reason}: ${error.message}`,
      'dlq-error-class': error.name,
      'dlq-original-partition': String(partition),
      'dlq-original-offset': message.offset,
      'dlq-failed-at': new Date().toISOString(),
      'dlq-consumer': 'projector',
    },
  };
}
