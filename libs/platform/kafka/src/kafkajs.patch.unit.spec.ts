import { afterEach, describe, expect, it, jest } from '@jest/globals';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { stopKafkajsIdleCheckLoop } from './kafkajs.patch.js';

// The queue's own state, as kafkajs keeps it, without a connection.
function queue(pending: unknown[], throttledUntil: number) {
  return {
    pending,
    throttledUntil,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    checkPendingRequests: jest.fn(),
  };
}

describe('kafkajs request queue patch', () => {
  const armed: NodeJS.Timeout[] = [];
  const schedule = (q: ReturnType<typeof queue>) => {
    stopKafkajsIdleCheckLoop();
    RequestQueue.prototype.scheduleCheckPendingRequests.call(q as never);
    if (q.throttleCheckTimeoutId) armed.push(q.throttleCheckTimeoutId);
  };
  afterEach(() => armed.splice(0).forEach(clearTimeout));

  it('arms no timer when nothing waits and nothing throttles (kafkajs re-armed it every millisecond)', () => {
    const idle = queue([], -1);
    schedule(idle);
    expect(idle.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks waiting requests soon', async () => {
    const waiting = queue([{}], -1);
    schedule(waiting);
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(waiting.checkPendingRequests).toHaveBeenCalledTimes(1);
  });

  it('still checks once when a throttle deadline ends', async () => {
    const throttled = queue([], Date.now() + 20);
    schedule(throttled);
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
  });

  it('is applied once however often it is called', () => {
    const before = RequestQueue.prototype.scheduleCheckPendingRequests;
    stopKafkajsIdleCheckLoop();
    stopKafkajsIdleCheckLoop();
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(before);
  });
});
