// tasklog.v1.TaskQueriesService: the REST queries over gRPC, through the
// same QueryBus handlers, DTO validation, ownership rules and consistency
// gate, answered as gRPC statuses.
import { Controller, Inject } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GrpcMethod } from '@nestjs/microservices';
import type grpc from '@grpc/grpc-js';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { problems, type FieldProblem, type Principal } from '@tasklog/platform/http';
import { GrpcAuthenticator } from '../../grpc/grpc-auth.js';
import { CONSISTENCY_HEADER, ConsistencyGate } from '../consistency.gate.js';
import { GetTaskQuery } from '../get-task.query.js';
import { GetTaskQueryDto, ListTasksQueryDto } from '../http/task-queries.dto.js';
import { ListTasksQuery } from '../list-tasks.query.js';
import { TaskStatsQuery } from '../task-stats.query.js';
import {
  isoOf,
  listQueryOf,
  statsOf,
  taskViewOf,
  type GetTaskRequest,
  type ListTasksRequest,
} from './task-queries.grpc.mapping.js';

const SERVICE = 'TaskQueriesService';

@Controller()
export class TaskQueriesGrpcController {
  constructor(
    private readonly queries: QueryBus,
    private readonly auth: GrpcAuthenticator,
    @Inject(ConsistencyGate) private readonly gate: ConsistencyGate,
  ) {}

  @GrpcMethod(SERVICE, 'GetTask')
  async getTask(request: GetTaskRequest, metadata: grpc.Metadata, call: grpc.ServerUnaryCall<unknown, unknown>) {
    const { principal, fresh } = await this.prepare(metadata, call);
    const { asOf } = await validated(GetTaskQueryDto, { asOf: isoOf(request.asOf) });
    const { task } = await this.queries.execute(new GetTaskQuery(principal, request.taskId ?? '', { fresh, asOf }));
    return { task: taskViewOf(task) };
  }

  @GrpcMethod(SERVICE, 'ListTasks')
  async listTasks(request: ListTasksRequest, metadata: grpc.Metadata, call: grpc.ServerUnaryCall<unknown, unknown>) {
    const { principal, fresh } = await this.prepare(metadata, call);
    const filter = await validated(ListTasksQueryDto, listQueryOf(request));
    const page = await this.queries.execute(new ListTasksQuery(principal, filter, { fresh, path: '/api/v1/tasks' }));
    return { tasks: page.tasks.map(taskViewOf), pagination: page.pagination };
  }

  @GrpcMethod(SERVICE, 'GetTaskStats')
  async getTaskStats(
    request: { userId?: string },
    metadata: grpc.Metadata,
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ) {
    const { principal } = await this.prepare(metadata, call);
    return statsOf(await this.queries.execute(new TaskStatsQuery(principal, request.userId || undefined)));
  }

  /** Authenticates, then honours x-consistency-token like the HTTP header. */
  private async prepare(
    metadata: grpc.Metadata,
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ): Promise<{ principal: Principal; fresh: boolean }> {
    const principal = await this.auth.principal({ metadata, peer: call.getPeer() }, 'tasks:read');
    const token = metadata.get(CONSISTENCY_HEADER)[0]?.toString();
    if (!token) return { principal, fresh: false };
    await this.gate.waitFor(token);
    return { principal, fresh: true };
  }
}

async function validated<T extends object>(type: new () => T, plain: Record<string, unknown>): Promise<T> {
  const instance = plainToInstance(type, plain);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw problems.validation(flatten(errors));
  return instance;
}

function flatten(errors: readonly ValidationError[]): FieldProblem[] {
  return errors.map((e) => ({ field: e.property, messages: Object.values(e.constraints ?? {}) }));
}
