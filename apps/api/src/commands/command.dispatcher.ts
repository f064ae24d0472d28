// Submits a task command and answers it: the Idempotency-Key check, the
// produce (acks=all) with its acknowledgment, then the wait for the outcome
// on the results topic, falling back to 202 (ADRs 0010-0012). Both REST and
// gRPC go through here, so their semantics cannot drift apart.
import { trace } from '@opentelemetry/api';
import { taskCommandRecord } from '@tasklog/contracts';
import type { CommandMetadata, TaskCommand } from '@tasklog/domain';
import { isAdmin, problem, problems, type Principal } from '@tasklog/platform/http';
import { correlationHeaders, currentRequestContext } from '@tasklog/platform/observability';
import { derivedUuid, randomCommandId, uuidv7 } from './command-ids.js';
import { replyFromResult, type CommandReply, type DispatchedReply } from './command-reply.js';
import type { CommandsConfig } from './commands.config.js';
import { commandMetrics } from './commands.metrics.js';
import { CommandNotStoredError, type CommandProducer } from './kafka/command.producer.js';
import type { CommandResultsListener } from './kafka/command-results.listener.js';
import type { CommandStatusStore } from './store/command-status.store.js';
import { fingerprintOf, type IdempotencyStore } from './store/idempotency.store.js';

/** How the caller wants a command handled (headers in REST, CommandOptions in gRPC). */
export interface CommandOptions {
  readonly idempotencyKey?: string;
  /** Answer 202 as soon as the command is stored. */
  readonly respondAsync: boolean;
  /** Reject unless the task is at this version. */
  readonly expectedVersion?: number;
  /** Wait at most this long for the outcome (Prefer: wait=…); capped by the configured timeout. */
  readonly waitMs?: number;
}

export interface Submission {
  readonly principal: Principal;
  readonly command: TaskCommand;
  readonly options: CommandOptions;
  /** What the request asked, fingerprinted when it carries an Idempotency-Key (compared when the key comes again). */
  readonly request: { readonly operation: string; readonly target: unknown; readonly input: unknown };
}

export const SOURCE = '/tasklog/api';

export class CommandDispatcher {
  constructor(
    private readonly producer: CommandProducer,
    private readonly listener: CommandResultsListener,
    private readonly status: CommandStatusStore,
    private readonly idempotency: IdempotencyStore,
    private readonly config: Pick<
      CommandsConfig,
      'waitTimeoutMs' | 'unavailableRetryAfterSeconds' | 'pendingRetryAfterSeconds'
    > & { readonly topic: string },
  ) {}

  /** The id of a new task: derived from the Idempotency-Key when there is one, so a retried create names the same task. */
  newTaskId(principal: Principal, options: CommandOptions): string {
    return options.idempotencyKey ? derivedUuid('task', principal.userId, options.idempotencyKey) : uuidv7();
  }

  /** Metadata of a command the principal issues now (actor, admin flag, expected version, correlation id). */
  metadata(principal: Principal, taskId: string, options: CommandOptions): CommandMetadata {
    const commandId = options.idempotencyKey
      ? derivedUuid('command', principal.userId, options.idempotencyKey)
      : randomCommandId();
    const requestId = currentRequestContext()?.requestId;
    return {
      commandId,
      taskId,
      actorId: principal.userId,
      issuedAt: new Date().toISOString(),
      ...(isAdmin(principal) ? { actorIsAdmin: true } : {}),
      ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
      ...(requestId ? { correlationId: requestId } : {}),
    };
  }

  async dispatch(submission: Submission): Promise<DispatchedReply> {
    const key = submission.options.idempotencyKey;
    if (!key) return { reply: await this.submit(submission), replayed: false };
    const { userId } = submission.principal;
    const record = {
      fingerprint: fingerprintOf(submission.request.operation, submission.request.target, submission.request.input),
      commandId: submission.command.metadata.commandId,
      taskId: submission.command.metadata.taskId,
    };
    const claim = await this.idempotency.claim(userId, key, record);
    if (claim.kind === 'mismatch') {
      throw problem('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was used with another request');
    }
    if (claim.kind === 'replay') {
      commandMetrics.commands.inc({ type: claim.reply.commandType, outcome: 'replayed' });
      return { reply: claim.reply, replayed: true };
    }
    const known = claim.kind === 'repeat' ? await this.knownOutcome(submission.command) : undefined;
    if (known) {
      await this.idempotency.complete(userId, key, { ...record, reply: known });
      return { reply: known, replayed: true };
    }
    // A repeat still in flight (or answered 202/503 and not decided yet) is
    // sent again under the same command id: the processor answers a command
    // it has seen with the first outcome and appends nothing.
    const reply = await this.submit(submission);
    if (reply.kind !== 'pending') await this.idempotency.complete(userId, key, { ...record, reply });
    return { reply, replayed: claim.kind === 'repeat' };
  }

  private async submit({ principal, command, options }: Submission): Promise<CommandReply> {
    const started = performance.now();
    const { commandId, taskId } = command.metadata;
    // The request's span (tracing on) names its command: a trace is found by the command id (ADR 0061).
    const span = trace.getActiveSpan();
    span?.setAttributes({
      'tasklog.command.id': commandId,
      'tasklog.command.type': command.type,
      'tasklog.task.id': taskId,
    });
    const waiter = this.listener.waitFor(commandId);
    this.status.track({
      commandId,
      taskId,
      commandType: command.type,
      userId: principal.userId,
      submittedAt: command.metadata.issuedAt,
    });
    try {
      await this.producer.send(this.record(command));
      commandMetrics.append.observe((performance.now() - started) / 1000);
    } catch (error) {
      waiter.cancel();
      this.status.untrack(commandId);
      this.count(command, 'unavailable', started);
      throw this.unavailable(commandId, error);
    }
    const budget = options.respondAsync ? 0 : Math.min(options.waitMs ?? Infinity, this.config.waitTimeoutMs);
    const result = await waiter.until(budget - (performance.now() - started));
    const reply: CommandReply = result
      ? replyFromResult(command.type, result)
      : { kind: 'pending', commandId, taskId, commandType: command.type };
    if (reply.kind === 'pending') this.status.recordSubmitted(commandId);
    span?.setAttribute('tasklog.command.reply', reply.kind);
    this.count(command, reply.kind, started);
    return reply;
  }

  private async knownOutcome(command: TaskCommand): Promise<CommandReply | undefined> {
    const stored = await this.status.get(command.metadata.commandId).catch(() => undefined);
    if (!stored?.outcome) return undefined;
    return replyFromResult(command.type, {
      commandId: stored.commandId,
      taskId: stored.taskId ?? command.metadata.taskId,
      outcome: stored.outcome,
    });
  }

  private record(command: TaskCommand) {
    const context = correlationHeaders();
    const record = taskCommandRecord(command, {
      source: SOURCE,
      ...(context['traceparent'] ? { traceparent: context['traceparent'] } : {}),
      ...(context['tracestate'] ? { tracestate: context['tracestate'] } : {}),
    });
    return { ...record, headers: { ...context, ...record.headers } };
  }

  private unavailable(commandId: string, error: unknown) {
    const retryAfter = this.config.unavailableRetryAfterSeconds;
    const detail =
      error instanceof CommandNotStoredError
        ? 'The command log did not confirm the command; send it again (with the same Idempotency-Key to be safe)'
        : 'The command could not be sent';
    return problems.unavailable(detail, { retryAfter, commandId });
  }

  private count(command: TaskCommand, outcome: string, started: number): void {
    commandMetrics.commands.inc({ type: command.type, outcome });
    commandMetrics.wait.observe({ type: command.type, outcome }, (performance.now() - started) / 1000);
  }
}
