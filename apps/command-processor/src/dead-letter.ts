// A command record this processor cannot read is answered as rejected (so a
// waiting API call ends) and dead-lettered with its original headers, the
// error and its position; it never blocks the partition.
import type kafkajs from 'kafkajs';
import { HEADER, type CommandResult, type KafkaRecord } from '@tasklog/contracts';

function text(value: kafkajs.IHeaders[string] | Buffer | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

export function undecodableResult(message: kafkajs.KafkaMessage, error: unknown): CommandResult {
  const commandId = text(message.headers?.[HEADER.id]) ?? `offset-${message.offset}`;
  const taskId = text(message.key) ?? text(message.headers?.[HEADER.subject]) ?? '';
  return {
    commandId,
    taskId,
    outcome: {
      kind: 'rejected',
      rejection: {
        code: 'TASK.VALIDATION',
        message: 'The command could not be decoded',
        currentVersion: 0,
        fieldErrors: [{ field: 'command', message: error instanceof Error ? error.message : String(error) }],
      },
    },
  };
}

export function deadLetter(message: kafkajs.KafkaMessage, partition: number, error: unknown): KafkaRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const v = text(value);
    if (v !== undefined) headers[name] = v;
  }
  return {
    key: text(message.key) ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: {
      ...headers,
      'dlq-reason': error instanceof Error ? error.message : String(error),
      'dlq-error-class': error instanceof Error ? error.name : 'Error',
      'dlq-original-partition': String(partition),
      'dlq-original-offset': message.offset,
      'dlq-failed-at': new Date().toISOString(),
      'dlq-consumer': 'command-processor',
    },
  };
}
