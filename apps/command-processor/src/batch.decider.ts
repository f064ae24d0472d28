// Decides one fetched batch of a partition's commands, strictly in order,
// against the partition's state: decode at the edge, answer repeats from the
// idempotency window, judge the rest through the CQRS bus, fold accepted
// events in. The outcome is everything the batch's transaction must write.
import { recordEvents, type TaskCommand, type TaskEvent } from '@tasklog/domain';
import {
  commandResultRecord,
  encodeCommandResult,
  readTaskCommandRecord,
  taskEventRecord,
  toTaskRepresentation,
  type CommandResult,
  type KafkaRecord,
} from '@tasklog/contracts';
import { DecideTask } from './decide-task.command.js';
import { deadLetter, undecodableResult } from './dead-letter.js';
import type { PartitionState } from './partition-state.js';
import type { CommandBus } from '@nestjs/cqrs';
import type { Logger } from '@tasklog/platform/observability';
import type { LogRecord } from '@tasklog/platform/kafka';
import type { ProcessorMetrics } from './processor.metrics.js';
import { SOURCE } from './snapshot.writer.js';
import { nowIso } from './clock.js';
import { uuidv7 } from './uuid-v7.js';

interface Answer {
  result: CommandResult;
  correlationId?: string;
  commandType: string;
  /** Index of the command's last event in `events`, for accepted commands that appended. */
  lastEventIndex?: number;
  replay: boolean;
}

export class DecidedBatch {
  readonly events: KafkaRecord[] = [];
  readonly eventTasks: string[] = [];
  readonly answers: Answer[] = [];
  readonly deadLetters: KafkaRecord[] = [];
  nextCommandOffset = 0n;
  private baseOffset: bigint | null = null;

  constructor(private readonly state: PartitionState) {}

  /** Called once the events are appended: fixes every accepted result's position. */
  assignOffsets(baseOffset: bigint): void {
    this.baseOffset = baseOffset;
    this.eventTasks.forEach((taskId, i) => this.state.setLastEventOffset(taskId, baseOffset + BigInt(i)));
    for (const answer of this.answers) {
      const { outcome } = answer.result;
      if (answer.lastEventIndex === undefined || outcome.kind !== 'accepted') continue;
      answer.result = {
        ...answer.result,
        outcome: { ...outcome, offset: (baseOffset + BigInt(answer.lastEventIndex)).toString() },
      };
      this.state.remember(answer.result);
    }
  }

  /** The results' records; the window keeps each new result as the bytes written here. */
  results(): KafkaRecord[] {
    const time = nowIso();
    return this.answers.map((a) => {
      const encoded = encodeCommandResult(a.result);
      if (!a.replay) this.state.keepEncoded(a.result, encoded);
      return commandResultRecord(
        a.result,
        { source: SOURCE, time, ...(a.correlationId ? { correlationId: a.correlationId } : {}) },
        encoded,
      );
    });
  }

  /** What a transaction's span tells about it (ADR 0061). */
  spanAttributes(): Record<string, number> {
    const counts = { 'tasklog.commands.accepted': 0, 'tasklog.commands.rejected': 0, 'tasklog.commands.replayed': 0 };
    for (const a of this.answers) {
      if (a.replay) counts['tasklog.commands.replayed']++;
      else if (a.result.outcome.kind === 'accepted') counts['tasklog.commands.accepted']++;
      else counts['tasklog.commands.rejected']++;
    }
    return { ...counts, 'tasklog.events': this.events.length, 'tasklog.dead_letters': this.deadLetters.length };
  }

  countOutcomes(metrics: ProcessorMetrics): void {
    for (const a of this.answers) {
      const outcome = a.replay ? 'replayed' : a.result.outcome.kind;
      metrics.commands.inc({ type: a.commandType, outcome });
    }
    void this.baseOffset;
  }
}

export async function decideBatch(
  messages: readonly LogRecord[],
  state: PartitionState,
  deps: { readonly commandBus: CommandBus; readonly logger: Logger },
): Promise<DecidedBatch> {
  const batch = new DecidedBatch(state);
  for (const message of messages) {
    batch.nextCommandOffset = BigInt(message.offset) + 1n;
    let command: TaskCommand;
    let traceparent: string | undefined;
    try {
      ({
        command,
        attributes: { traceparent },
      } = readTaskCommandRecord(message));
    } catch (error) {
      const result = undecodableResult(message, error);
      deps.logger.warn({ offset: message.offset, err: String(error) }, 'undecodable command dead-lettered');
      batch.deadLetters.push(deadLetter(message, state.partition, error));
      batch.answers.push({ result, commandType: 'unknown', replay: false });
      continue;
    }
    await decideOne(batch, state, command, traceparent, deps);
  }
  return batch;
}

async function decideOne(
  batch: DecidedBatch,
  state: PartitionState,
  command: TaskCommand,
  traceparent: string | undefined,
  deps: { readonly commandBus: CommandBus },
): Promise<void> {
  const { commandId, taskId, correlationId } = command.metadata;
  const base = { commandType: command.type, ...(correlationId ? { correlationId } : {}) };
  const earlier = state.outcomeOf(taskId, commandId);
  if (earlier) {
    batch.answers.push({ ...base, result: earlier, replay: true });
    return;
  }
  const before = state.state(taskId);
  const decision = await deps.commandBus.execute(new DecideTask(command, before));
  if (decision.kind === 'rejected') {
    const result: CommandResult = { commandId, taskId, outcome: { kind: 'rejected', rejection: decision.rejection } };
    state.remember(result);
    batch.answers.push({ ...base, result, replay: false });
    return;
  }
  const after = state.applyDecided(taskId, decision.events);
  const recorded = recordEvents<TaskEvent>(decision.events, {
    command: command.metadata,
    versionBefore: before.version,
    recordedAt: nowIso(),
    newEventId: () => uuidv7(),
  });
  for (const r of recorded) {
    batch.events.push(taskEventRecord(r, { source: SOURCE, ...(traceparent ? { traceparent } : {}) }));
    batch.eventTasks.push(taskId);
  }
  const result: CommandResult = {
    commandId,
    taskId,
    outcome: {
      kind: 'accepted',
      newVersion: after?.version ?? before.version,
      task: after ? toTaskRepresentation(after) : null,
      partition: state.partition,
      // An accepted no-op appends nothing: its position is the task's last event.
      offset: recorded.length > 0 ? null : state.lastEventOffset(taskId),
    },
  };
  state.remember(result);
  batch.answers.push({
    ...base,
    result,
    replay: false,
    ...(recorded.length > 0 ? { lastEventIndex: batch.events.length - 1 } : {}),
  });
}
