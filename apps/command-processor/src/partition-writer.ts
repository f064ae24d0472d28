// The single writer of one partition of the event log. It owns the
// partition's transactional producer (transactional.id tasklog-writer-<p>, so
// a new owner fences the old one) and commits each batch of commands in one
// Kafka transaction: the new events, the command results, due snapshots and
// the command offsets. After any failure it is thrown away, never reused.
import type { CommandBus } from '@nestjs/cqrs';
import { TransactionalProducer, type LogRecord } from '@tasklog/platform/kafka';
import { inBatchSpan, type Logger } from '@tasklog/platform/observability';
import type { Span } from '@opentelemetry/api';
import { decideBatch } from './batch.decider.js';
import type { PartitionState } from './partition-state.js';
import type { ProcessorConfig } from './processor.config.js';
import { snapshotRecords } from './snapshot.writer.js';
import type { ProcessorMetrics } from './processor.metrics.js';

export class PartitionWriter {
  private constructor(
    readonly partition: number,
    private readonly producer: TransactionalProducer,
    readonly state: PartitionState,
    private readonly deps: WriterDeps,
  ) {}

  /**
   * Connects the partition's transactional producer. Initialising it bumps
   * the producer epoch: the previous owner's open transaction is aborted and
   * any later attempt of that owner fails as fenced.
   */
  static fence(partition: number, config: ProcessorConfig): Promise<TransactionalProducer> {
    return TransactionalProducer.fence(
      { ...config.kafka, clientId: `${config.kafka.clientId}-writer-${partition}` },
      {
        transactionalId: `${config.transactionalIdPrefix}${partition}`,
        transactionTimeoutMs: 30_000,
        transactionVersion: config.transactionProtocol === 'auto' ? 'auto' : config.transactionProtocol === '2' ? 2 : 1,
      },
    );
  }

  static open(producer: TransactionalProducer, state: PartitionState, deps: WriterDeps): PartitionWriter {
    return new PartitionWriter(state.partition, producer, state, deps);
  }

  /**
   * Decides the batch in order and commits everything it produced atomically.
   * The writer is the only producer of its event-log partition, so the
   * offsets its events will get are known before sending (`logEnd`): the
   * events and the results that name their offsets go out in one request,
   * beside the command offsets, and the broker's answer is checked against
   * the prediction — a mismatch aborts the transaction and the partition is
   * rebuilt. Fewer sequential round trips, shorter transactions.
   */
  handle(messages: readonly LogRecord[]): Promise<void> {
    // One span per transaction when tracing is on, linked to the requests that sent its commands (ADR 0061).
    const { config } = this.deps;
    return inBatchSpan(
      {
        tracer: 'tasklog-command-processor',
        topic: config.topics.commands,
        partition: this.partition,
        consumerGroup: config.groupId,
        records: () => messages,
      },
      (span) => this.commit(messages, span),
    );
  }

  private async commit(messages: readonly LogRecord[], span: Span | undefined): Promise<void> {
    const { config, metrics } = this.deps;
    const { topics } = config;
    observeAges(metrics, 'deciding', messages);
    const decided = await decideBatch(messages, this.state, this.deps);
    span?.setAttributes(decided.spanAttributes());
    const started = performance.now();
    const expectedBase = this.state.logEnd;
    if (decided.events.length > 0) decided.assignOffsets(expectedBase);
    const events = decided.events.map((r) => ({ ...r, partition: this.partition }));
    const results = decided.results().map((r) => ({ ...r, partition: this.partition }));
    const snapshots = this.snapshotDue()
      ? snapshotRecords(this.state).map((r) => ({ ...r, partition: r.partition ?? this.partition }))
      : [];
    const tx = await this.producer.transaction();
    try {
      // Everything in one produce request beside the offsets (a partition's
      // records beyond one record batch's bound go in the next requests to
      // its leader). Settled both before going on: an abort must not
      // overtake a request in flight.
      const [sent, offsetsAdded] = await Promise.allSettled([
        tx.sendAll([
          { topic: topics.events, records: events },
          { topic: topics.results, records: results },
          { topic: topics.dlq, records: decided.deadLetters },
          { topic: topics.snapshots, records: snapshots },
        ]),
        tx.sendOffsets(config.groupId, topics.commands, this.partition, decided.nextCommandOffset),
      ]);
      if (sent.status === 'rejected') throw sent.reason;
      if (offsetsAdded.status === 'rejected') throw offsetsAdded.reason;
      const offsets = sent.value;
      if (events.length > 0) {
        const got = offsets.find((o) => o.topic === topics.events && o.partition === this.partition)?.offset;
        if (got !== expectedBase) {
          throw new Error(`events of partition ${this.partition} got offset ${String(got)}, expected ${expectedBase}`);
        }
      }
      if (this.deps.faults?.failTransaction()) throw new Error('fault injection: transaction failed before its commit');
      await tx.commit();
      // The commit marker takes one offset after our last event.
      if (events.length > 0) this.state.logEnd = this.state.nextEventOffset + 1n;
      if (snapshots.length > 0) this.state.markSnapshotted(Date.now());
    } catch (error) {
      await tx.abort().catch(() => undefined);
      throw error;
    }
    metrics.transactionSeconds.observe((performance.now() - started) / 1000);
    metrics.batchSize.observe(messages.length);
    observeAges(metrics, 'committed', messages);
    decided.countOutcomes(metrics);
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }

  private snapshotDue(): boolean {
    const { config } = this.deps;
    const state = this.state;
    if (state.changed.size === 0) return false;
    return (
      state.eventsSinceSnapshot >= config.snapshotEveryEvents ||
      Date.now() - state.lastSnapshotAt >= config.snapshotEveryMs
    );
  }
}

/** How long the commands waited (deciding) or took in all (committed), from their records' timestamps. */
function observeAges(metrics: ProcessorMetrics, stage: 'deciding' | 'committed', messages: readonly LogRecord[]) {
  const now = Date.now();
  const age = metrics.commandAgeSeconds.labels({ stage });
  for (const m of messages) age.observe(Math.max(0, now - m.timestampMs) / 1000);
}

export interface WriterDeps {
  readonly config: ProcessorConfig;
  readonly commandBus: CommandBus;
  readonly metrics: ProcessorMetrics;
  readonly logger: Logger;
  readonly faults?: TransactionFaults;
}

/** Fault injection (PROCESSOR_FAULT_FAIL_TRANSACTIONS): the next `count` transactions of the process fail. */
export class TransactionFaults {
  constructor(private count: number) {}

  failTransaction(): boolean {
    if (this.count <= 0) return false;
    this.count--;
    return true;
  }
}
