// Use case: create a task. The owner defaults to the caller; naming another
// user needs the admin scope. The new task's id is a UUIDv7, or derived from
// the Idempotency-Key so that a retried create names the same task.
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CreateTask, TaskStatus } from '@tasklog/domain';
import { isAdmin, problems, type Principal } from '@tasklog/platform/http';
import { CommandDispatcher, type CommandOptions } from '../command.dispatcher.js';
import type { DispatchedReply } from '../command-reply.js';

/** The public fields of a new task (names of the reference documents). */
export interface CreateTaskInput {
  readonly userId?: string;
  readonly taskTitle: string;
  readonly taskDescription?: string;
  readonly taskStatus?: TaskStatus;
  readonly dueDate?: string | null;
  readonly warningOffset?: number | null;
  readonly category?: string | null;
  readonly tags?: readonly string[];
}

export class CreateTaskCommand extends Command<DispatchedReply> {
  constructor(
    readonly principal: Principal,
    readonly input: CreateTaskInput,
    readonly options: CommandOptions,
  ) {
    super();
  }
}

@CommandHandler(CreateTaskCommand)
export class CreateTaskHandler implements ICommandHandler<CreateTaskCommand, DispatchedReply> {
  constructor(private readonly dispatcher: CommandDispatcher) {}

  execute({ principal, input, options }: CreateTaskCommand): Promise<DispatchedReply> {
    const ownerId = input.userId ?? principal.userId;
    if (ownerId !== principal.userId && !isAdmin(principal)) {
      throw problems.forbidden('Creating a task for another user needs the admin scope');
    }
    // If-Match has no meaning for a task that does not exist yet.
    const createOptions = { ...options, expectedVersion: undefined };
    const command: CreateTask = {
      type: 'CreateTask',
      data: {
        ownerId,
        title: input.taskTitle,
        ...defined({
          description: input.taskDescription,
          status: input.taskStatus,
          dueDate: input.dueDate,
          warningOffset: input.warningOffset,
          category: input.category,
          tags: input.tags,
        }),
      },
      metadata: this.dispatcher.metadata(principal, this.dispatcher.newTaskId(principal, options), createOptions),
    };
    const request = { operation: 'CreateTask', target: null, input: { ...input, userId: ownerId } };
    return this.dispatcher.dispatch({ principal, command, options: createOptions, request });
  }
}

/** Drops the fields the client did not send (undefined), keeping explicit nulls. */
export function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  const kept: Record<string, unknown> = {};
  for (const key in fields) if (fields[key] !== undefined) kept[key] = fields[key];
  return kept as Partial<T>;
}
