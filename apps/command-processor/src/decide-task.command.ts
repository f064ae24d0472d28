// The one command of the write side's CQRS bus: judge a task command against
// the task's current state with the pure decider. The processor dispatches
// every command through the bus, in partition order.
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decide, type TaskCommand, type TaskDecision, type TaskState } from '@tasklog/domain';

export class DecideTask extends Command<TaskDecision> {
  constructor(
    readonly command: TaskCommand,
    readonly state: TaskState,
  ) {
    super();
  }
}

@CommandHandler(DecideTask)
export class DecideTaskHandler implements ICommandHandler<DecideTask, TaskDecision> {
  async execute({ command, state }: DecideTask): Promise<TaskDecision> {
    return decide(command, state);
  }
}
