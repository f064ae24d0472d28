// One plaintext connection to one Kafka broker for the range reader's own
// Fetch requests (ADR 0042): size-prefixed frames, request header v1,
// response header v0, requests matched by correlation id; for the flexible
// versions (ADR 0057) request header v2 and response header v1, which add
// (empty, or skipped) tagged fields. Nothing here knows what a request means.
import { connect, type Socket } from 'node:net';
import { ResponseReader } from './protocol.codec.js';

/** ApiVersions answers with response header v0 whatever its version (KIP-511). */
const API_VERSIONS_KEY = 18;

export class BrokerConnectionError extends Error {
  override readonly name = 'BrokerConnectionError';
}

interface Pending {
  /** The response header holds tagged fields to skip. */
  readonly taggedHeader: boolean;
  readonly resolve: (body: Buffer) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class BrokerConnection {
  private readonly pending = new Map<number, Pending>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextCorrelationId = 1;
  private failure: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: Buffer,
    readonly address: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(new BrokerConnectionError(`${address}: ${error.message}`)));
    socket.on('close', () => this.fail(new BrokerConnectionError(`${address}: connection closed`)));
  }

  static open(host: string, port: number, clientId: string, timeoutMs: number): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BrokerConnectionError(`${address}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new BrokerConnectionError(`${address}: ${error.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new BrokerConnection(socket, Buffer.from(clientId, 'utf8'), address));
      });
    });
  }

  /** Sends one request; answers the response body (after the response header). */
  request(apiKey: number, apiVersion: number, body: Buffer, timeoutMs: number, flexible = false): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId++;
    const tags = flexible ? 1 : 0;
    const header = Buffer.allocUnsafe(14 + this.clientId.length + tags);
    header.writeInt32BE(10 + tags + this.clientId.length + body.length, 0);
    header.writeInt16BE(apiKey, 4);
    header.writeInt16BE(apiVersion, 6);
    header.writeInt32BE(correlationId, 8);
    header.writeInt16BE(this.clientId.length, 12);
    this.clientId.copy(header, 14);
    if (flexible) header[14 + this.clientId.length] = 0; // no tagged fields
    const taggedHeader = flexible && apiKey !== API_VERSIONS_KEY;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A late answer would be matched to nothing; the connection is unusable.
        this.fail(new BrokerConnectionError(`${this.address}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { taggedHeader, resolve, reject, timer });
      this.socket.write(Buffer.concat([header, body]));
    });
  }

  /** Closed, or failed: every further request fails. */
  get closed(): boolean {
    return this.failure !== null;
  }

  close(): void {
    this.fail(new BrokerConnectionError(`${this.address}: closed`));
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.joined();
      const size = head.readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const all = this.joined();
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.deliver(frame);
    }
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }

  private deliver(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const pending = this.pending.get(correlationId);
    if (!pending) return;
    this.pending.delete(correlationId);
    clearTimeout(pending.timer);
    if (!pending.taggedHeader) return pending.resolve(frame.subarray(4));
    const header = new ResponseReader(frame, 4);
    try {
      header.tags();
    } catch (error) {
      return pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
    pending.resolve(frame.subarray(header.position));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.socket.destroy();
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    this.chunks = [];
    this.buffered = 0;
  }
}
