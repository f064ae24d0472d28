import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { closedLoop, openLoop, ResponseParser, sortedPercentile } from './http-load.js';

/**
 * A local server answering after `delay(n)` ms (n: the request's number; node:http sends its bodies chunked),
 * recording when each request arrived.
 */
async function serve(delay: (n: number) => number) {
  const arrivals: number[] = [];
  let open = 0;
  let mostOpen = 0;
  const server: Server = createServer((req, res) => {
    const n = arrivals.push(performance.now()) - 1;
    open++;
    mostOpen = Math.max(mostOpen, open);
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        open--;
        res.writeHead(n % 2 === 0 ? 201 : 409, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ n }));
      }, delay(n)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/tasks`;
  return { url, arrivals, mostOpen: () => mostOpen };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const post = (url: string) => ({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

describe('open-loop load', () => {
  it('spreads the requests over the second instead of sending them in a burst', async () => {
    const server = await serve(() => 5);
    const result = await openLoop(post(server.url), { rate: 100, seconds: 1, maxConnections: 50 });
    expect(result.answered).toBe(100);
    expect(result.failed).toBe(0);
    expect([...result.statuses.entries()].sort()).toEqual([
      [201, 50],
      [409, 50],
    ]);
    const first = server.arrivals[0]!;
    // Evenly spaced, a tenth of the requests arrive in the first tenth of the run (a burst: all of them).
    expect(server.arrivals.filter((at) => at - first < 250).length).toBeLessThan(40);
    expect(server.arrivals.at(-1)! - first).toBeGreaterThan(800);
  });

  it('counts a queued request from the instant it was due', async () => {
    // One connection, the first answer takes 300 ms: the requests due meanwhile wait in the generator.
    const server = await serve((n) => (n === 0 ? 300 : 1));
    const result = await openLoop(post(server.url), { rate: 50, seconds: 0.4, maxConnections: 1 });
    expect(result.answered).toBe(20);
    expect(server.mostOpen()).toBe(1);
    const sorted = result.latencies.sort();
    // The request due at 20 ms was answered after the first one (≥ 300 ms): its latency holds the wait.
    expect(sortedPercentile(sorted, 90)).toBeGreaterThan(200);
    // The server's 300 ms timer runs on the event loop's millisecond clock and may fire a fraction of a
    // millisecond early by performance.now() (a CI run measured 299.93 ms).
    expect(sortedPercentile(sorted, 100)).toBeGreaterThanOrEqual(299);
  });

  it('counts requests without an answer as failed and still ends', async () => {
    const server = await serve(() => 60_000);
    const result = await openLoop(post(server.url), { rate: 40, seconds: 0.25, maxConnections: 4, timeoutMs: 100 });
    expect(result.answered).toBe(0);
    expect(result.failed).toBe(10);
  });
});

describe('closed-loop load', () => {
  it('keeps one request in flight per connection for the duration', async () => {
    const server = await serve(() => 10);
    const result = await closedLoop(post(server.url), { connections: 4, seconds: 0.3 });
    expect(server.mostOpen()).toBe(4);
    expect(result.connections).toBe(4);
    // 4 connections × 300 ms / ~10 ms per answer.
    expect(result.answered).toBeGreaterThan(20);
    expect(result.answered).toBeLessThanOrEqual(4 * 31);
    expect(result.answered).toBe(server.arrivals.length);
  });
});

describe('response parser', () => {
  /** A parser and the statuses it has reported so far. */
  const parsing = () => {
    const statuses: number[] = [];
    return { statuses, parser: new ResponseParser((status) => statuses.push(status)) };
  };

  it('reads responses split anywhere and several in one chunk', () => {
    const { statuses, parser } = parsing();
    const wire = Buffer.from(
      'HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\n{"a":HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 412 Precondition Failed\r\ncontent-length: 2\r\n\r\n{}',
    );
    // Not a valid first body ("{"a":" is 5 bytes): the parser counts bytes, it does not read JSON.
    for (const byte of wire) parser.push(Buffer.of(byte));
    expect(statuses).toEqual([201, 204, 412]);
    parser.push(wire);
    expect(statuses).toEqual([201, 204, 412, 201, 204, 412]);
  });

  it('reads chunked answers', () => {
    const { statuses, parser } = parsing();
    const wire = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"a":1}\r\n10\r\n0123456789abcdef\r\n0\r\n\r\nHTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n',
    );
    for (const byte of wire) parser.push(Buffer.of(byte));
    expect(statuses).toEqual([200, 503]);
    expect(() => parser.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'))).toThrow(
      /chunk size/,
    );
  });
});
