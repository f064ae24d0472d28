// REST commands on tasks (DESIGN.md §5a): every request becomes one command
// on tasklog.task-commands.v1 and is answered with its outcome (201/200/204
// with ETag and X-Consistency-Token), or 202 when the outcome is not known in
// time, or 503 when the command log did not confirm it.
import { Body, Controller, Delete, Inject, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Scopes, type Principal } from '@tasklog/platform/http';
import { COMMANDS_CONFIG, type CommandsConfig } from '../commands.config.js';
import { CreateTaskCommand } from '../use-cases/create-task.command.js';
import { ChangeTaskLifecycleCommand, type LifecycleCommandType } from '../use-cases/task-lifecycle.command.js';
import { UpdateTaskCommand } from '../use-cases/update-task.command.js';
import { answerCommand, commandOptions, type SuccessStyle } from './command.http.js';
import { ApiCommandHeaders, ApiProblems, SUCCESS_HEADERS } from './command.openapi.js';
import { CreateTaskBody, UpdateTaskBody } from './task-command.dto.js';
import { TaskResponse } from './task-command.responses.js';

const CREATED_HEADERS = {
  Location: { description: '/api/v1/tasks/{taskId}', schema: { type: 'string' } },
  ...SUCCESS_HEADERS,
};

@ApiTags('tasks')
@Scopes('tasks:write')
@Controller('tasks')
export class TaskCommandsHttpController {
  constructor(
    private readonly bus: CommandBus,
    @Inject(COMMANDS_CONFIG) private readonly config: CommandsConfig,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a task', description: 'The body is the new task, with its taskId.' })
  @ApiCommandHeaders({ ifMatch: false })
  @ApiCreatedResponse({
    description: 'Created: the new task, with its taskId',
    type: TaskResponse,
    headers: CREATED_HEADERS,
  })
  @ApiProblems(400, 401, 403, 409, 422, 429, 503)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateTaskBody,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const options = commandOptions(request, { ifMatch: false });
    await this.answer(reply, 'created', options.respondAsync, () =>
      this.bus.execute(new CreateTaskCommand(principal, body, options)),
    );
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change any writable field of a task, taskStatus included (one atomic command)' })
  @ApiCommandHeaders({ ifMatch: true })
  @ApiOkResponse({ description: 'The task after the command', type: TaskResponse, headers: SUCCESS_HEADERS })
  @ApiProblems(400, 401, 403, 404, 409, 412, 422, 429, 503)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: UpdateTaskBody,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const options = commandOptions(request, { ifMatch: true });
    await this.answer(reply, 'ok', options.respondAsync, () =>
      this.bus.execute(new UpdateTaskCommand(principal, id, body, options)),
    );
  }

  @Post(':id/complete')
  @ApiOperation({ summary: 'Complete a task (200 with the task; completing it again changes nothing)' })
  @ApiCommandHeaders({ ifMatch: true })
  @ApiOkResponse({ description: 'The task after the command', type: TaskResponse, headers: SUCCESS_HEADERS })
  @ApiProblems(400, 401, 403, 404, 409, 412, 422, 429, 503)
  complete(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.lifecycle('CompleteTask', 'ok', principal, id, request, reply);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a task (soft: its history stays and it can be restored)' })
  @ApiCommandHeaders({ ifMatch: true })
  @ApiNoContentResponse({ description: 'Deleted', headers: SUCCESS_HEADERS })
  @ApiProblems(400, 401, 403, 404, 409, 412, 422, 429, 503)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.lifecycle('DeleteTask', 'no-content', principal, id, request, reply);
  }

  @Post(':id/restore')
  @ApiOperation({
    summary: 'Restore a deleted task (200 with the task; restoring one that is not deleted changes nothing)',
  })
  @ApiCommandHeaders({ ifMatch: true })
  @ApiOkResponse({ description: 'The task after the command', type: TaskResponse, headers: SUCCESS_HEADERS })
  @ApiProblems(400, 401, 403, 404, 409, 412, 422, 429, 503)
  restore(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.lifecycle('RestoreTask', 'ok', principal, id, request, reply);
  }

  private async lifecycle(
    type: LifecycleCommandType,
    style: SuccessStyle,
    principal: Principal,
    id: string,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const options = commandOptions(request, { ifMatch: true });
    await this.answer(reply, style, options.respondAsync, () =>
      this.bus.execute(new ChangeTaskLifecycleCommand(principal, type, id, options)),
    );
  }

  private answer(
    reply: FastifyReply,
    style: SuccessStyle,
    respondAsync: boolean,
    dispatch: Parameters<typeof answerCommand>[1],
  ) {
    return answerCommand(reply, dispatch, {
      style,
      respondAsync,
      pendingRetryAfterSeconds: this.config.pendingRetryAfterSeconds,
    });
  }
}
