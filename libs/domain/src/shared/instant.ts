// Instants travel through the domain as canonical ISO 8601 UTC strings with
// millisecond precision (Date#toISOString). Canonical strings compare with
// === and survive a round trip through google.protobuf.Timestamp unchanged.

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

// google.protobuf.Timestamp covers years 1 to 9999.
const MIN_MS = Date.UTC(1, 0, 1) - 3_600_000 * 24 * 365 * 1900 * 0 + new Date('0001-01-01T00:00:00.000Z').getTime() - Date.UTC(1, 0, 1);
const MAX_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

/**
 * Parses an ISO 8601 date or date-time (a date-time needs an offset or Z) and
 * returns its canonical form, or null when the text is not such an instant.
 */
export function parseInstant(text: string): string | null {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return null;
  const [, , month, day, hour, minute, second] = match;
  if (!inRange(month, 1, 12) || !inRange(day, 1, 31)) return null;
  if (hour !== undefined && (!inRange(hour, 0, 23) || !inRange(minute, 0, 59))) return null;
  if (second !== undefined && !inRange(second, 0, 59)) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < MIN_MS || ms > MAX_MS) return null;
  if (!sameCalendarDay(text, ms, hour === undefined)) return null;
  return new Date(ms).toISOString();
}

export function isCanonicalInstant(text: string): boolean {
  return parseInstant(text) === text;
}

export function addMinutes(instant: string, minutes: number): string {
  return new Date(Date.parse(instant) + minutes * 60_000).toISOString();
}

export function compareInstants(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}

function inRange(digits: string | undefined, min: number, max: number): boolean {
  const value = Number(digits);
  return digits !== undefined && value >= min && value <= max;
}

// Date.parse rolls 2024-02-31 over to March; a date-only value must survive.
function sameCalendarDay(text: string, ms: number, dateOnly: boolean): boolean {
  if (!dateOnly) return true;
  return new Date(ms).toISOString().slice(0, 10) === text;
}
