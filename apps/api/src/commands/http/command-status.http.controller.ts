// GET /commands/{id}: the status and outcome of a command, kept 24 h (the
// Location of every 202). Only its sender (or admin) sees a command; for
// anyone else it does not exist.
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TaskRepresentation } from '@tasklog/contracts';
import { CurrentPrincipal, isAdmin, problem, type Principal, type ProblemBody } from '@tasklog/platform/http';
import { consistencyToken, rejectionProblem } from '../command-reply.js';
import { CommandStatusStore, type StoredCommandStatus } from '../store/command-status.store.js';
import { ApiProblems } from './command.openapi.js';
import { CommandStatusResponse } from './task-command.responses.js';

/** What the endpoint answers (documented by CommandStatusResponse). */
interface CommandStatusView {
  readonly commandId: string;
  readonly taskId: string | null;
  readonly commandType: string | null;
  readonly status: 'pending' | 'accepted' | 'rejected';
  readonly submittedAt: string | null;
  readonly decidedAt: string | null;
  readonly task?: TaskRepresentation | null;
  readonly version?: number;
  readonly consistencyToken?: string | null;
  readonly problem?: ProblemBody;
}

@ApiTags('commands')
@Controller('commands')
export class CommandStatusHttpController {
  constructor(@Inject(CommandStatusStore) private readonly store: CommandStatusStore) {}

  @Get(':commandId')
  @ApiOperation({
    summary: 'Status and outcome of a command (kept 24 h)',
    description: 'pending until decided; then accepted (with the task) or rejected (with the problem it answered).',
  })
  @ApiOkResponse({ type: CommandStatusResponse })
  @ApiProblems(401, 404, 503)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('commandId') commandId: string,
  ): Promise<CommandStatusView> {
    const notFound = () => problem('COMMAND.NOT_FOUND', `Command ${commandId} is unknown (or older than 24 h)`);
    let stored: StoredCommandStatus | undefined;
    try {
      stored = await this.store.get(commandId);
    } catch {
      throw problem('SERVICE.UNAVAILABLE', 'The command status store is unavailable; retry later', { retryAfter: 1 });
    }
    if (!stored || !visibleTo(principal, stored)) throw notFound();
    return toResponse(stored);
  }
}

function visibleTo(principal: Principal, stored: StoredCommandStatus): boolean {
  if (isAdmin(principal)) return true;
  const outcome = stored.outcome;
  const owner = stored.userId ?? (outcome?.kind === 'accepted' ? outcome.task?.userId : undefined);
  return owner === principal.userId;
}

function toResponse(stored: StoredCommandStatus): CommandStatusView {
  const base = {
    commandId: stored.commandId,
    taskId: stored.taskId,
    commandType: stored.commandType,
    submittedAt: stored.submittedAt,
    decidedAt: stored.decidedAt,
  };
  const outcome = stored.outcome;
  if (!outcome) return { ...base, status: 'pending' };
  if (outcome.kind === 'rejected') {
    return { ...base, status: 'rejected', problem: rejectionProblem(outcome.rejection).toBody(undefined) };
  }
  return {
    ...base,
    status: 'accepted',
    task: outcome.task,
    version: outcome.newVersion,
    consistencyToken: consistencyToken(outcome.partition, outcome.offset),
  };
}
