// Domain instants (canonical ISO strings) <-> google.protobuf.Timestamp.
import { timestampDate, timestampFromMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { parseInstant } from '@tasklog/domain';
import { ContractDecodingError, ContractEncodingError } from './contract.errors.js';

export function toTimestamp(instant: string, field: string): Timestamp {
  const canonical = typeof instant === 'string' ? parseInstant(instant) : null;
  if (canonical === null) throw new ContractEncodingError(`${field} is not an ISO 8601 instant: ${String(instant)}`);
  return timestampFromMs(Date.parse(canonical));
}

export function toOptionalTimestamp(instant: string | null | undefined, field: string): Timestamp | undefined {
  return instant === null || instant === undefined ? undefined : toTimestamp(instant, field);
}

export function fromTimestamp(timestamp: Timestamp | undefined, field: string): string {
  if (timestamp === undefined) throw new ContractDecodingError(`${field} is missing`);
  const date = timestampDate(timestamp);
  if (Number.isNaN(date.getTime())) throw new ContractDecodingError(`${field} is out of range`);
  return date.toISOString();
}

export function fromOptionalTimestamp(timestamp: Timestamp | undefined, field: string): string | null {
  return timestamp === undefined ? null : fromTimestamp(timestamp, field);
}
