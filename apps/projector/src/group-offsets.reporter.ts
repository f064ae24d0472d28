// Kafka's group offsets are informational for the projector (PostgreSQL holds
// the positions that count, ADR 0015), but they keep the usual lag tooling
// working. They are reported at most once per interval, one commit in flight
// at a time: a commit per batch queues hundreds of OffsetCommit requests on
// the broker connection under load, and the fetches wait behind them.
import type { GroupConsumer } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';

export class GroupOffsetsReporter {
  private readonly pending = new Map<number, bigint>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Notes a partition's new position; it is committed with the next report. */
  note(consumer: GroupConsumer, partition: number, nextOffset: bigint): void {
    // A batch committing while the projector stops must not start a timer that outlives it.
    if (this.stopped) return;
    this.pending.set(partition, nextOffset);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.report(consumer);
    }, this.intervalMs);
  }

  /** Forgets unreported positions (after a rebalance they may belong to another member). */
  clear(): void {
    this.pending.clear();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private async report(consumer: GroupConsumer): Promise<void> {
    if (this.inFlight || this.pending.size === 0) return;
    const offsets = new Map(this.pending);
    this.pending.clear();
    this.inFlight = consumer
      .commitOffsets(offsets)
      .catch((error: unknown) => this.logger.debug({ err: String(error) }, 'informational offset commit failed'))
      .finally(() => (this.inFlight = null));
    await this.inFlight;
  }
}
