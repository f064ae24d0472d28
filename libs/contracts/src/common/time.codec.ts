// Domain instants (canonical ISO strings) <-> google.protobuf.Timestamp.
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { parseInstant } from '@tasklog/domain';
import { ContractDecodingError, ContractEncodingError } from './contract.errors.js';

export function toTimestamp(instant: string, field: string): Timestamp {
  const cached = TIMESTAMPS.get(instant);
  if (cached !== undefined) return cached;
  const canonical = typeof instant === 'string' ? parseInstant(instant) : null;
  if (canonical === null) throw new ContractEncodingError(`${field} is not an ISO 8601 instant: ${String(instant)}`);
  const timestamp = Object.freeze(timestampFromMs(Date.parse(canonical)));
  if (TIMESTAMPS.size >= TIMESTAMP_CACHE_SIZE) TIMESTAMPS.clear();
  TIMESTAMPS.set(instant, timestamp);
  return timestamp;
}

// The processor encodes each command's instants three times (event, result,
// snapshot), and a batch's records share their "now": recent conversions are
// kept, frozen, since encoding only reads them. Cleared when full.
const TIMESTAMP_CACHE_SIZE = 4096;
const TIMESTAMPS = new Map<string, Timestamp>();

export function toOptionalTimestamp(instant: string | null | undefined, field: string): Timestamp | undefined {
  return instant === null || instant === undefined ? undefined : toTimestamp(instant, field);
}

export function fromTimestamp(timestamp: Timestamp | undefined, field: string): string {
  if (timestamp === undefined) throw new ContractDecodingError(`${field} is missing`);
  const ms = timestampMs(timestamp);
  if (ms >= 0 && ms <= MAX_MS) return isoFromMs(ms);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new ContractDecodingError(`${field} is out of range`);
  return date.toISOString();
}

const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const DAY_MS = 86_400_000;

/**
 * Date#toISOString for 1970…9999 without a Date (a third of its cost; every
 * decoded event carries several instants). Civil date from days since the
 * epoch: H. Hinnant's days_from_civil inverse, public-domain arithmetic.
 */
function isoFromMs(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

export function fromOptionalTimestamp(timestamp: Timestamp | undefined, field: string): string | null {
  return timestamp === undefined ? null : fromTimestamp(timestamp, field);
}
