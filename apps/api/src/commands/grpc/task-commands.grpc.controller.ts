// tasklog.v1.TaskCommandsService: the REST commands over gRPC, through the
// same use cases (CommandBus), the same DTO validation and the same problems,
// answered as gRPC statuses (src/grpc/grpc-errors.ts).
import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { GrpcMethod } from '@nestjs/microservices';
import type grpc from '@grpc/grpc-js';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { problems, type FieldProblem, type Principal } from '@tasklog/platform/http';
import { runWithRequestContext, type Logger } from '@tasklog/platform/observability';
import type { DispatchedReply } from '../command-reply.js';
import { rejectionProblem } from '../command-reply.js';
import { CreateTaskBody, UpdateTaskBody } from '../http/task-command.dto.js';
import { CreateTaskCommand } from '../use-cases/create-task.command.js';
import { ChangeTaskLifecycleCommand, type LifecycleCommandType } from '../use-cases/task-lifecycle.command.js';
import { UpdateTaskCommand } from '../use-cases/update-task.command.js';
import { GrpcAuthenticator, type GrpcCallInfo } from '../../grpc/grpc-auth.js';
import {
  commandOptionsOf,
  createInputOf,
  responseOf,
  updateInputOf,
  type CreateTaskRequest,
  type TaskIdRequest,
  type UpdateTaskRequest,
} from './grpc.mapping.js';

export const GRPC_LOGGER = Symbol('GRPC_LOGGER');
const SERVICE = 'TaskCommandsService';

type Response = ReturnType<typeof responseOf>;

@Controller()
export class TaskCommandsGrpcController {
  constructor(
    private readonly bus: CommandBus,
    private readonly auth: GrpcAuthenticator,
    @Inject(GRPC_LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod(SERVICE, 'CreateTask')
  createTask(request: CreateTaskRequest, metadata: grpc.Metadata, call: grpc.ServerUnaryCall<unknown, unknown>) {
    return this.call({ metadata, peer: call.getPeer() }, async (principal) => {
      const input = await validated(CreateTaskBody, createInputOf(request));
      return this.bus.execute(new CreateTaskCommand(principal, input, commandOptionsOf(request.options)));
    });
  }

  @GrpcMethod(SERVICE, 'UpdateTask')
  updateTask(request: UpdateTaskRequest, metadata: grpc.Metadata, call: grpc.ServerUnaryCall<unknown, unknown>) {
    return this.call({ metadata, peer: call.getPeer() }, async (principal) => {
      const input = await validated(UpdateTaskBody, updateInputOf(request));
      const options = commandOptionsOf(request.options);
      return this.bus.execute(new UpdateTaskCommand(principal, request.taskId ?? '', input, options));
    });
  }

  @GrpcMethod(SERVICE, 'CompleteTask')
  completeTask(request: TaskIdRequest, metadata: grpc.Metadata, call: grpc.ServerUnaryCall<unknown, unknown>) {
    return this.lifecycle('CompleteTask', request, { metadata, peer: call.getPeer() });
  }

  @GrpcMethod(SERVICE, 'DeleteTask')
  deleteTask(request: TaskIdRequest, metadata: grpc.Metadata, call: grpc.ServerUnaryCall<unknown, unknown>) {
    return this.lifecycle('DeleteTask', request, { metadata, peer: call.getPeer() });
  }

  @GrpcMethod(SERVICE, 'RestoreTask')
  restoreTask(request: TaskIdRequest, metadata: grpc.Metadata, call: grpc.ServerUnaryCall<unknown, unknown>) {
    return this.lifecycle('RestoreTask', request, { metadata, peer: call.getPeer() });
  }

  private lifecycle(type: LifecycleCommandType, request: TaskIdRequest, info: GrpcCallInfo) {
    return this.call(info, (principal) =>
      this.bus.execute(
        new ChangeTaskLifecycleCommand(principal, type, request.taskId ?? '', commandOptionsOf(request.options)),
      ),
    );
  }

  /** Authenticates, runs the use case in a request context (correlation id), and turns a rejection into its problem. */
  private call(info: GrpcCallInfo, run: (principal: Principal) => Promise<DispatchedReply>): Promise<Response> {
    const given = info.metadata.get('x-request-id')[0]?.toString();
    const requestId = given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
    const logger = this.logger.child({ requestId });
    return runWithRequestContext({ requestId, logger }, async () => {
      const dispatched = await run(await this.auth.principal(info, 'tasks:write'));
      if (dispatched.reply.kind === 'rejected') throw rejectionProblem(dispatched.reply.rejection);
      return responseOf(dispatched);
    });
  }
}

/** The same class-validator rules as the REST bodies, so both transports refuse the same input. */
async function validated<T extends object>(type: new () => T, input: object): Promise<T> {
  const instance = plainToInstance(type, input);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw problems.validation(flatten(errors));
  return instance;
}

function flatten(errors: readonly ValidationError[]): FieldProblem[] {
  return errors.map((error) => ({ field: error.property, messages: Object.values(error.constraints ?? {}) }));
}
