// Instants travel through the domain as canonical ISO 8601 UTC strings with
// millisecond precision (Date#toISOString). Canonical strings compare with
// === and survive a round trip through google.protobuf.Timestamp unchanged.

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

// The canonical form: 2024-05-01T12:30:00.000Z (24 characters).
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// From the Unix epoch (a reminder an offset before an instant stays
// representable) to the last instant google.protobuf.Timestamp can carry.
const MIN_MS = Date.parse('1970-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Parses an ISO 8601 date (midnight UTC) or date-time with Z or an offset and
 * returns its canonical form, or null when the text is not such an instant.
 * Stricter than Date.parse, which rolls 2024-02-31 over into March.
 */
export function parseInstant(text: string): string | null {
  // Fast path: most instants are already canonical (every decoded Timestamp
  // is, every header the platform writes). Checked digit by digit, without
  // a Date round trip: the decoders call this for every event they read.
  if (text.length === 24 && CANONICAL.test(text)) return isValidCanonical(text) ? text : null;
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = match.slice(1).map(toNumber);
  if (!isCalendarDate(year!, month!, day!)) return null;
  if (hour !== undefined && (hour > 23 || minute! > 59 || (second ?? 0) > 59)) return null;
  if (offsetHour !== undefined && (offsetHour > 23 || offsetMinute! > 59)) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < MIN_MS || ms > MAX_MS) return null;
  return new Date(ms).toISOString();
}

export function isCanonicalInstant(text: string): boolean {
  return parseInstant(text) === text;
}

export function addMinutes(instant: string, minutes: number): string {
  return new Date(Date.parse(instant) + minutes * 60_000).toISOString();
}

/** Negative when a is earlier than b. */
export function compareInstants(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}

function toNumber(digits: string | undefined): number | undefined {
  return digits === undefined ? undefined : Number(digits);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/** A text of the canonical shape that names a real instant in the supported range. */
function isValidCanonical(text: string): boolean {
  const year = digitsAt(text, 0, 4);
  return (
    year >= 1970 &&
    isCalendarDate(year, digitsAt(text, 5, 2), digitsAt(text, 8, 2)) &&
    digitsAt(text, 11, 2) <= 23 &&
    digitsAt(text, 14, 2) <= 59 &&
    digitsAt(text, 17, 2) <= 59
  );
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  if (month !== 2) return day <= DAYS_IN_MONTH[month - 1]!;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (leap ? 29 : 28);
}
