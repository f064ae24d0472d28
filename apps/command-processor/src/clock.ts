// The current instant as the events record it. A busy processor records
// many events within one millisecond, and Date#toISOString showed in its
// profile: the text is built once per millisecond.
let lastMs = Number.NaN;
let lastIso = '';

/** The current instant in canonical form (Date#toISOString). */
export function nowIso(now = Date.now()): string {
  if (now !== lastMs) {
    lastIso = new Date(now).toISOString();
    lastMs = now;
  }
  return lastIso;
}
