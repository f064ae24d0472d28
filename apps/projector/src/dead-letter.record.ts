// A record the projector cannot apply goes to tasklog.projector.dlq.v1 with
// its original key, value and headers plus why and where it failed; the
// partition then moves on (STYLE.md rule 5). The record is built by the
// shared builder in @tasklog/platform/kafka.
import { deadLetterRecord as buildDeadLetter, type DeadLetterRecord, type LogRecord } from '@tasklog/platform/kafka';

export function deadLetterRecord(
  message: LogRecord,
  partition: number,
  reason: 'undecodable' | 'not-applicable',
  error: Error,
): DeadLetterRecord {
  return buildDeadLetter(message, { partition, consumer: 'projector', reason, error });
}
