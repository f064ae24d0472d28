// The status of every command for GET /commands/{id}, kept 24 h in Redis
// (ADR 0010): one hash per command with who submitted it and its outcome.
// The submitter of a command this instance sent is held in memory until the
// outcome comes, so that usually one write stores both; a command answered
// 202 gets its submit half written at once, and the halves merge in the hash
// in whichever order they arrive. Writes are buffered and sent as one
// pipeline per tick; Redis trouble costs the status endpoint, never a command.
import type { CommandOutcome, CommandResult } from '@tasklog/contracts';
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
  ) {}

  /** Remembers who submits a command (before it is produced): its outcome is stored together with it. */
  track(command: SubmittedCommand): void {
    const now = Date.now();
    this.tracked.set(command.commandId, { command, since: now });
    for (const [commandId, { since }] of this.tracked) {
      if (since > now - TRACK_MS) break;
      this.tracked.delete(commandId);
    }
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
      outcome: hash['outcome'] ? (JSON.parse(hash['outcome']) as CommandOutcome) : null,
    };
  }

  /** Sends what is buffered now (shutdown, tests). */
  async flush(): Promise<void> {
    const writes = this.buffer;
    this.buffer = [];
    this.scheduled = false;
    if (writes.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [key, fields] of writes) pipeline.hset(key, fields).expire(key, this.ttlSeconds);
    try {
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error]) => error !== null);
      if (failed) this.warn(failed[0]);
    } catch (error) {
      this.warn(error);
    }
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
