// An HTTP/1.1 load generator for loopback benches (ADR 0058): keep-alive
// connections over node:net, one request in flight per connection, the same
// prepared request each time.
//
// - openLoop: requests leave at evenly spaced instants (rate/s), whatever the
//   answers do; one waiting for a free connection waits in a queue, and its
//   latency counts from the instant it was due (no coordinated omission, as
//   wrk2 measures). autocannon's overallRate sends each connection's share of
//   a second at the start of that second, in bursts.
// - closedLoop: each connection sends its next request as soon as the answer
//   to the previous one is in: the maximum rate the stack sustains.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface HttpRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface LoadResult {
  /** Answered requests. */
  readonly answered: number;
  /** Answers by status code. */
  readonly statuses: ReadonlyMap<number, number>;
  /** Requests that got no answer: a connection error or the timeout. */
  readonly failed: number;
  /** Per answered request, ms: from the instant it was due (open loop) or sent (closed loop) to its answer. */
  readonly latencies: Float64Array;
  /** Per answered request, in the same order: when it was due or sent, ms after the run's start. */
  readonly dues: Float64Array;
  /** Seconds from the first request to the last answer counted. */
  readonly duration: number;
  /** Most connections open at once. */
  readonly connections: number;
}

export interface OpenLoopLoad {
  readonly rate: number;
  readonly seconds: number;
  /** At most this many connections (requests in flight); the rest wait in the generator's queue. */
  readonly maxConnections: number;
  readonly timeoutMs?: number;
}

export interface ClosedLoopLoad {
  readonly connections: number;
  readonly seconds: number;
  readonly timeoutMs?: number;
}

export async function openLoop(request: HttpRequest, load: OpenLoopLoad): Promise<LoadResult> {
  const run = new Run(request, load.timeoutMs ?? 10_000);
  // Connections for a second of requests are opened before the clock starts: opened on demand by the
  // hundred, their SYNs overflow the server's accept queue and wait for TCP's retransmission (1 s, 3 s, …).
  await run.open(Math.min(load.maxConnections, Math.max(4, Math.ceil(load.rate))));
  const total = Math.round(load.rate * load.seconds);
  const interval = 1000 / load.rate;
  const start = performance.now();
  run.start = start;
  let issued = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (issued < total && start + issued * interval <= now) {
        run.submit(start + issued * interval, load.maxConnections);
        issued++;
      }
      if (issued < total) setTimeout(tick, Math.max(0, start + issued * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  return run.finish();
}

export async function closedLoop(request: HttpRequest, load: ClosedLoopLoad): Promise<LoadResult> {
  const run = new Run(request, load.timeoutMs ?? 10_000);
  await run.open(load.connections);
  const end = performance.now() + load.seconds * 1000;
  run.start = performance.now();
  run.refill = () => performance.now() < end;
  for (let i = 0; i < load.connections; i++) run.submit(performance.now(), load.connections);
  await new Promise((resolve) => setTimeout(resolve, load.seconds * 1000));
  return run.finish();
}

class Run {
  start = 0;
  /** Closed loop: whether an answered connection sends again. */
  refill: () => boolean = () => false;
  private readonly wire: Buffer;
  private readonly target: URL;
  private readonly idle: Connection[] = [];
  private readonly waiting: number[] = [];
  private readonly latencies: number[] = [];
  private readonly dues: number[] = [];
  private readonly statuses = new Map<number, number>();
  private live = 0;
  private opening = 0;
  private peak = 0;
  private failed = 0;
  private inFlight = 0;
  private lastAnswer = 0;
  private drained: (() => void) | null = null;

  constructor(
    request: HttpRequest,
    private readonly timeoutMs: number,
  ) {
    this.target = new URL(request.url);
    const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
    const head = [
      `${request.method} ${this.target.pathname}${this.target.search} HTTP/1.1`,
      `host: ${this.target.host}`,
      ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
      ...(body.length > 0 || request.method !== 'GET' ? [`content-length: ${body.length}`] : []),
    ].join('\r\n');
    this.wire = Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]);
  }

  /** Opens `count` idle connections, 64 at a time. */
  async open(count: number): Promise<void> {
    for (let opened = 0; opened < count; opened += 64) {
      const batch = Math.min(64, count - opened);
      this.idle.push(...(await Promise.all(Array.from({ length: batch }, () => this.connect()))));
    }
  }

  /** A request due at `due` (performance.now() ms): sent on an idle connection, a new one, or queued. */
  submit(due: number, maxConnections: number): void {
    this.inFlight++;
    const connection = this.idle.pop();
    if (connection) return this.send(connection, due);
    this.waiting.push(due);
    if (this.live + this.opening < maxConnections)
      this.connect().then(
        (fresh) => this.release(fresh),
        () => this.fail(this.waiting.shift()),
      );
  }

  async finish(): Promise<LoadResult> {
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    for (const connection of this.idle) connection.socket.destroy();
    this.idle.length = 0;
    return {
      answered: this.latencies.length,
      statuses: this.statuses,
      failed: this.failed,
      latencies: Float64Array.from(this.latencies),
      dues: Float64Array.from(this.dues, (due) => due - this.start),
      duration: Math.max(1e-3, (this.lastAnswer - this.start) / 1000),
      connections: this.peak,
    };
  }

  private send(connection: Connection, due: number): void {
    connection.due = due;
    connection.socket.write(this.wire);
    connection.timer = setTimeout(() => connection.socket.destroy(new Error('timeout')), this.timeoutMs);
  }

  private release(connection: Connection): void {
    const due = this.waiting.shift();
    if (due !== undefined) return this.send(connection, due);
    if (this.refill()) {
      this.inFlight++;
      return this.send(connection, performance.now());
    }
    this.idle.push(connection);
  }

  private answered(connection: Connection, status: number): void {
    clearTimeout(connection.timer);
    const now = performance.now();
    this.latencies.push(now - connection.due);
    this.dues.push(connection.due);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.lastAnswer = now;
    connection.due = -1;
    this.settle();
    this.release(connection);
  }

  private fail(due: number | undefined): void {
    if (due === undefined) return;
    this.failed++;
    this.settle();
  }

  private settle(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.drained?.();
  }

  private connect(): Promise<Connection> {
    this.opening++;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.target.hostname, port: Number(this.target.port), noDelay: true });
      const connection: Connection = { socket, due: -1, timer: undefined };
      const parser = new ResponseParser((status) => this.answered(connection, status));
      let established = false;
      socket.once('connect', () => {
        established = true;
        this.opening--;
        this.live++;
        this.peak = Math.max(this.peak, this.live);
        resolve(connection);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          parser.push(chunk);
        } catch (error) {
          socket.destroy(error as Error);
        }
      });
      socket.on('error', () => undefined);
      socket.once('close', () => {
        clearTimeout(connection.timer);
        if (!established) {
          this.opening--;
          return reject(new Error(`cannot connect to ${this.target.host}`));
        }
        this.live--;
        const at = this.idle.indexOf(connection);
        if (at >= 0) this.idle.splice(at, 1);
        if (connection.due >= 0) this.fail(connection.due);
        connection.due = -1;
        // Queued requests must not wait for a connection that no longer exists.
        if (this.waiting.length > 0 && this.live + this.opening === 0)
          this.connect().then(
            (fresh) => this.release(fresh),
            () => {
              while (this.waiting.length > 0) this.fail(this.waiting.shift());
            },
          );
      });
    });
  }
}

interface Connection {
  readonly socket: Socket;
  /** When the request in flight was due; -1 when idle. */
  due: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const LINE_END = Buffer.from('\r\n');

/** HTTP/1.1 responses, their bodies skipped: by content-length (Fastify's JSON) or chunked (no trailers). */
export class ResponseParser {
  private buffered: Buffer = Buffer.alloc(0);
  private state: 'head' | 'body' | 'chunk-size' | 'chunk' = 'head';
  /** Bytes still to skip of a body or a chunk (with its CRLF). */
  private remaining = 0;
  private status = 0;

  constructor(private readonly onResponse: (status: number) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      if (this.state === 'head') {
        const end = this.buffered.indexOf(HEAD_END);
        if (end < 0) return;
        const head = this.buffered.toString('latin1', 0, end);
        this.buffered = this.buffered.subarray(end + HEAD_END.length);
        this.status = Number(head.slice(9, 12));
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) this.state = 'chunk-size';
        else {
          this.remaining = length ? Number(length[1]) : 0;
          this.state = 'body';
        }
      } else if (this.state === 'chunk-size') {
        const end = this.buffered.indexOf(LINE_END);
        if (end < 0) return;
        const size = parseInt(this.buffered.toString('latin1', 0, end), 16);
        if (Number.isNaN(size)) throw new Error('malformed chunk size');
        this.buffered = this.buffered.subarray(end + LINE_END.length);
        this.remaining = size + LINE_END.length; // the last chunk (0) ends with the CRLF of empty trailers
        this.state = size === 0 ? 'body' : 'chunk';
      } else {
        if (this.buffered.length < this.remaining) return;
        this.buffered = this.buffered.subarray(this.remaining);
        if (this.state === 'chunk') this.state = 'chunk-size';
        else {
          this.state = 'head';
          this.onResponse(this.status);
        }
      }
    }
  }
}

/** Percentile (nearest rank) of latencies already sorted ascending. */
export function sortedPercentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
