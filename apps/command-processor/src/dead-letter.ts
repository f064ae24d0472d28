// A command record this processor cannot read is answered as rejected (so a
// waiting API call ends) and dead-lettered with its original headers, the
// error and its position; it never blocks the partition.
import { HEADER, type CommandResult, type KafkaRecord } from '@tasklog/contracts';
import { deadLetterRecord, headerValueText as text, type LogRecord } from '@tasklog/platform/kafka';

export function undecodableResult(message: LogRecord, error: unknown): CommandResult {
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

export function deadLetter(message: LogRecord, partition: number, error: unknown): KafkaRecord {
  const record = deadLetterRecord(message, { partition, consumer: 'command-processor', error });
  return { key: text(record.key) ?? '', value: record.value ?? Buffer.alloc(0), headers: record.headers };
}
