// Instants travel through the domain as canonical ISO 8601 UTC strings with
// millisecond precision (Date#toISOString). Canonical strings compare with
// === and survive a round trip through google.protobuf.Timestamp unchanged.

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

// Instants repeat a lot (every event of a command shares one): a bounded
// memo of texts already known to be canonical skips the Date round trip.
const recentCanonical = new Set<string>();
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
  // is); the round trip through Date also rejects impossible calendar dates.
  if (recentCanonical.has(text)) return text;
  if (CANONICAL.test(text)) {
    const ms = Date.parse(text);
    if (ms >= MIN_MS && ms <= MAX_MS && new Date(ms).toISOString() === text) {
      if (recentCanonical.size >= 4096) recentCanonical.clear();
      recentCanonical.add(text);
      return text;
    }
  }
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

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= days[month - 1]!;
}
