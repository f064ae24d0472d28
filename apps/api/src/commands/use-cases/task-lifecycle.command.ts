// Use cases without a payload: complete, delete (soft) and restore a task.
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CompleteTask, DeleteTask, RestoreTask } from '@tasklog/domain';
import { problems, type Principal } from '@tasklog/platform/http';
import { isUuid } from '../command-ids.js';
import { CommandDispatcher, type CommandOptions } from '../command.dispatcher.js';
import type { DispatchedReply } from '../command-reply.js';

export type LifecycleCommandType = (CompleteTask | DeleteTask | RestoreTask)['type'];

export class ChangeTaskLifecycleCommand extends Command<DispatchedReply> {
  constructor(
    readonly principal: Principal,
    readonly type: LifecycleCommandType,
    readonly taskId: string,
    readonly options: CommandOptions,
  ) {
    super();
  }
}

@CommandHandler(ChangeTaskLifecycleCommand)
export class ChangeTaskLifecycleHandler implements ICommandHandler<ChangeTaskLifecycleCommand, DispatchedReply> {
  constructor(private readonly dispatcher: CommandDispatcher) {}

  execute({ principal, type, taskId, options }: ChangeTaskLifecycleCommand): Promise<DispatchedReply> {
    if (!isUuid(taskId)) throw problems.taskNotFound(taskId);
    const command = { type, data: {}, metadata: this.dispatcher.metadata(principal, taskId, options) } as
      CompleteTask | DeleteTask | RestoreTask;
    const request = { operation: type, target: [taskId, options.expectedVersion], input: null };
    return this.dispatcher.dispatch({ principal, command, options, request });
  }
}
