// The status of every command for GET /commands/{id}, kept 24 h in Redis
// (ADR 0010): one hash per command with who submitted it and its outcome.
// The submitter of a command this instance sent is held in memory until the
// outcome comes, so that usually one write stores both; a command answered
// 202 gets its submit half written at once, and the halves merge in the hash
// in whichever order they arrive. Writes are buffered and sent as one script
// call per tick (every buffered HSET and its EXPIRE: one command on the wire
// instead of two per command); Redis trouble costs the status endpoint, never
// a command.
import { decodeCommandResult, type CommandOutcome, type CommandResult } from '@tasklog/contracts';
import type { Logger } from '@tasklog/platform/observability';
import type { Redis } from '@tasklog/platform/redis';

export interface SubmittedCommand {
  readonly commandId: string;
  readonly taskId: string;
  readonly commandType: string;
  readonly userId: string;
  readonly submittedAt: string;
}

export interface StoredCommandStatus {
  readonly commandId: string;
  readonly taskId: string | null;
  readonly commandType: string | null;
  /** Who submitted it; null when only the outcome is known (the submit record was lost). */
  readonly userId: string | null;
  readonly submittedAt: string | null;
  readonly decidedAt: string | null;
  readonly outcome: CommandOutcome | null;
}

type Write = [key: string, fields: Record<string, string>];

const keyOf = (commandId: string) => `commands:status:${commandId}`;

// KEYS: the hashes; ARGV: the TTL, then per key its field count and its fields and values.
const WRITE_SCRIPT = `
local ttl = ARGV[1]
local at = 2
for k = 1, #KEYS do
  local n = tonumber(ARGV[at])
  redis.call('HSET', KEYS[k], unpack(ARGV, at + 1, at + n))
  redis.call('EXPIRE', KEYS[k], ttl)
  at = at + n + 1
end
return #KEYS`;
const WRITE_COMMAND = 'tasklogCommandStatusWrite';
/** A burst (a restarted listener catching up) goes out in calls of at most this many hashes. */
const MAX_KEYS_PER_CALL = 500;
type WriteCommand = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** A tracked submitter whose outcome has not come after this long has had its own record written (202). */
const TRACK_MS = 10 * 60 * 1000;

export class CommandStatusStore {
  private buffer: Write[] = [];
  private readonly tracked = new Map<string, { readonly command: SubmittedCommand; readonly since: number }>();
  private scheduled = false;
  private lastWarnAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {
    redis.defineCommand(WRITE_COMMAND, { lua: WRITE_SCRIPT });
  }

  /** Remembers who submits a command (before it is produced): its outcome is stored together with it. */
  track(command: SubmittedCommand): void {
    const now = Date.now();
    this.tracked.set(command.commandId, { command, since: now });
    for (const [commandId, { since }] of this.tracked) {
      if (since > now - TRACK_MS) break;
      this.tracked.delete(commandId);
    }
  }

  /** Whether this instance submitted the command and has not seen its outcome yet. */
  isTracked(commandId: string): boolean {
    return this.tracked.has(commandId);
  }

  /**
   * Stores an outcome as it came (the result record's protobuf value), for a
   * command neither submitted nor awaited here: decoded only if someone asks
   * for its status (ADR 0032).
   */
  recordUndecoded(commandId: string, taskId: string | undefined, value: Uint8Array, decidedAt: string): void {
    this.write(keyOf(commandId), {
      commandId,
      ...(taskId ? { taskId } : {}),
      result: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
      decidedAt,
    });
  }

  /** The command was not confirmed (503): nothing to store unless an outcome turns up anyway. */
  untrack(commandId: string): void {
    this.tracked.delete(commandId);
  }

  /** Writes the submit half now: the request was answered 202, the outcome comes later. */
  recordSubmitted(commandId: string): void {
    const tracked = this.tracked.get(commandId);
    if (tracked) this.write(keyOf(commandId), { ...tracked.command });
  }

  recordOutcome(result: CommandResult, decidedAt: string): void {
    const tracked = this.tracked.get(result.commandId);
    this.tracked.delete(result.commandId);
    this.write(keyOf(result.commandId), {
      ...tracked?.command,
      commandId: result.commandId,
      taskId: result.taskId,
      outcome: JSON.stringify(result.outcome),
      decidedAt,
    });
  }

  async get(commandId: string): Promise<StoredCommandStatus | undefined> {
    const hash = await this.redis.hgetall(keyOf(commandId));
    if (!hash['commandId']) return undefined;
    return {
      commandId,
      taskId: hash['taskId'] ?? null,
      commandType: hash['commandType'] ?? null,
      userId: hash['userId'] ?? null,
      submittedAt: hash['submittedAt'] ?? null,
      decidedAt: hash['decidedAt'] ?? null,
      outcome: hash['outcome']
        ? (JSON.parse(hash['outcome']) as CommandOutcome)
        : hash['result']
          ? this.undecodedOutcome(commandId, hash['result'])
          : null,
    };
  }

  // An outcome stored as received; one that does not decode (or names another command) counts as not known.
  private undecodedOutcome(commandId: string, base64: string): CommandOutcome | null {
    try {
      const result = decodeCommandResult(Buffer.from(base64, 'base64'));
      if (result.commandId === commandId) return result.outcome;
      this.logger.warn({ commandId, stored: result.commandId }, 'stored command result names another command');
    } catch (error) {
      this.logger.warn({ commandId, err: String(error) }, 'stored command result does not decode');
    }
    return null;
  }

  /** Sends what is buffered now (shutdown, tests). */
  async flush(): Promise<void> {
    const writes = this.buffer;
    this.buffer = [];
    this.scheduled = false;
    const write = (this.redis as unknown as Record<string, WriteCommand>)[WRITE_COMMAND]!.bind(this.redis);
    const calls: Promise<unknown>[] = [];
    for (let start = 0; start < writes.length; start += MAX_KEYS_PER_CALL) {
      const chunk = writes.slice(start, start + MAX_KEYS_PER_CALL);
      const args: (string | number)[] = [chunk.length];
      for (const [key] of chunk) args.push(key);
      args.push(this.ttlSeconds);
      for (const [, fields] of chunk) {
        const entries = Object.entries(fields);
        args.push(entries.length * 2);
        for (const [field, value] of entries) args.push(field, value);
      }
      calls.push(write(...args).catch((error: unknown) => this.warn(error)));
    }
    await Promise.all(calls);
  }

  private write(key: string, fields: Record<string, string>): void {
    this.buffer.push([key, fields]);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  // At most one line every 10 s: a Redis outage must not flood the log.
  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = now;
    this.logger.warn({ err: String(error) }, 'command status not stored (Redis unavailable)');
  }
}
