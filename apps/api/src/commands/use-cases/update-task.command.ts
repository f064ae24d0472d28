// Use case: PATCH a task: any subset of the writable fields, the status
// included, as one UpdateTaskDetails command (one atomic decision).
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { TaskStatus, UpdateTaskDetails } from '@tasklog/domain';
import { problems, type Principal } from '@tasklog/platform/http';
import { isUuid } from '../command-ids.js';
import { CommandDispatcher, type CommandOptions } from '../command.dispatcher.js';
import type { DispatchedReply } from '../command-reply.js';
import { defined } from './create-task.command.js';

/** A partial change: an absent field stays as it is, null clears a nullable one. */
export interface UpdateTaskInput {
  readonly taskTitle?: string;
  readonly taskDescription?: string;
  readonly taskStatus?: TaskStatus;
  readonly dueDate?: string | null;
  readonly warningOffset?: number | null;
  readonly category?: string | null;
  readonly tags?: readonly string[];
}

export class UpdateTaskCommand extends Command<DispatchedReply> {
  constructor(
    readonly principal: Principal,
    readonly taskId: string,
    readonly input: UpdateTaskInput,
    readonly options: CommandOptions,
  ) {
    super();
  }
}

@CommandHandler(UpdateTaskCommand)
export class UpdateTaskHandler implements ICommandHandler<UpdateTaskCommand, DispatchedReply> {
  constructor(private readonly dispatcher: CommandDispatcher) {}

  execute({ principal, taskId, input, options }: UpdateTaskCommand): Promise<DispatchedReply> {
    // No task has an id of another shape: nothing to send.
    if (!isUuid(taskId)) throw problems.taskNotFound(taskId);
    const command: UpdateTaskDetails = {
      type: 'UpdateTaskDetails',
      data: {
        changes: defined({
          title: input.taskTitle,
          description: input.taskDescription,
          dueDate: input.dueDate,
          warningOffset: input.warningOffset,
          category: input.category,
          tags: input.tags,
        }),
        ...(input.taskStatus === undefined ? {} : { status: input.taskStatus }),
      },
      metadata: this.dispatcher.metadata(principal, taskId, options),
    };
    const request = { operation: 'UpdateTaskDetails', target: [taskId, options.expectedVersion], input };
    return this.dispatcher.dispatch({ principal, command, options, request });
  }
}
