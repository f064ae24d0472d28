// kafkajs 2.2.4 keeps every broker connection it ever used busy: after each
// response its request queue re-checks for pending requests and re-arms that
// check with the throttle deadline minus now, a negative delay (no throttle
// is -1), which Node runs after 1 ms, forever. Each connection of each
// process wakes its event loop about 800 times a second with nothing to do
// (upstream issues #1556, #1704, #1751; the fixes are unmerged). Measured on
// the bench stack, it was about half of each app's idle CPU (ADR 0054).
//
// The check is only needed while requests wait: a request that cannot go out
// at once arms it (pending > 0), an answer re-checks the queue itself, and a
// throttle deadline still gets its one check. Without any of those there is
// nothing to schedule.
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

const PATCHED = Symbol.for('tasklog.kafkajs.idle-check-loop');

type Patched = typeof RequestQueue.prototype & { [PATCHED]?: true };

/** Idempotent; applied when this library is imported. */
export function stopKafkajsIdleCheckLoop(): void {
  const prototype = RequestQueue.prototype as Patched;
  if (prototype[PATCHED]) return;
  const original = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: typeof prototype) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    original.call(this);
  };
  prototype[PATCHED] = true;
}

stopKafkajsIdleCheckLoop();
