// The status of every command for GET /commands/{id}, kept 24 h in Redis
// (ADR 0010): one hash per command, written in two halves that may arrive in
// either order: who submitted it (after the broker's acknowledgment) and its
// outcome (from the results topic). Writes are buffered and sent as one
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

export class CommandStatusStore {
  private buffer: Write[] = [];
  private scheduled = false;
  private lastWarnAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {}

  recordSubmitted(command: SubmittedCommand): void {
    const { commandId, ...fields } = command;
    this.write(keyOf(commandId), { ...fields, commandId });
  }

  recordOutcome(result: CommandResult, decidedAt: string): void {
    this.write(keyOf(result.commandId), {
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
