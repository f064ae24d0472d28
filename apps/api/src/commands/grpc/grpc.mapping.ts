// Between the gRPC messages of proto/tasklog/v1/task_commands_service.proto
// (as @grpc/proto-loader hands them over: camelCase fields, enum names as
// strings, int64 as strings, absent fields undefined) and the use-case inputs
// and replies. The status code each problem answers with: src/grpc/grpc-errors.ts.
import type { TaskRepresentation } from '@tasklog/contracts';
import type { TaskStatus } from '@tasklog/domain';
import type { CommandOptions } from '../command.dispatcher.js';
import type { CommandReply, DispatchedReply } from '../command-reply.js';
import type { CreateTaskInput } from '../use-cases/create-task.command.js';
import type { UpdateTaskInput } from '../use-cases/update-task.command.js';

export interface Timestamp {
  readonly seconds?: string | number;
  readonly nanos?: number;
}

export interface GrpcCommandOptions {
  readonly idempotencyKey?: string;
  readonly respondAsync?: boolean;
  readonly expectedVersion?: number;
}

export interface CreateTaskRequest {
  readonly options?: GrpcCommandOptions;
  readonly userId?: string;
  readonly taskTitle?: string;
  readonly taskDescription?: string;
  readonly taskStatus?: string;
  readonly dueDate?: Timestamp;
  readonly warningOffset?: number;
  readonly category?: string;
  readonly tags?: string[];
}

export interface UpdateTaskRequest {
  readonly taskId?: string;
  readonly options?: GrpcCommandOptions;
  readonly taskTitle?: string;
  readonly taskDescription?: string;
  readonly taskStatus?: string;
  readonly dueDate?: Timestamp;
  readonly clearDueDate?: boolean;
  readonly dueDateChange?: 'dueDate' | 'clearDueDate';
  readonly warningOffset?: number;
  readonly warningOffsetChange?: 'warningOffset' | 'clearWarningOffset';
  readonly category?: string;
  readonly categoryChange?: 'category' | 'clearCategory';
  readonly tags?: { readonly values?: string[] };
}

export interface TaskIdRequest {
  readonly taskId?: string;
  readonly options?: GrpcCommandOptions;
}

export function commandOptionsOf(options: GrpcCommandOptions | undefined): CommandOptions {
  return {
    ...(options?.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    respondAsync: options?.respondAsync === true,
    ...(options?.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
  };
}

export function createInputOf(request: CreateTaskRequest): CreateTaskInput {
  return {
    taskTitle: request.taskTitle ?? '',
    ...present('userId', request.userId),
    ...present('taskDescription', request.taskDescription),
    ...present('taskStatus', statusOf(request.taskStatus)),
    ...present('dueDate', request.dueDate && isoOf(request.dueDate)),
    ...present('warningOffset', request.warningOffset),
    ...present('category', request.category),
    ...present('tags', request.tags),
  };
}

export function updateInputOf(request: UpdateTaskRequest): UpdateTaskInput {
  const cleared = <T>(change: string | undefined, set: string, value: T): T | null | undefined =>
    change === undefined ? undefined : change === set ? value : null;
  return {
    ...present('taskTitle', request.taskTitle),
    ...present('taskDescription', request.taskDescription),
    ...present('taskStatus', statusOf(request.taskStatus)),
    ...present('dueDate', cleared(request.dueDateChange, 'dueDate', request.dueDate && isoOf(request.dueDate))),
    ...present('warningOffset', cleared(request.warningOffsetChange, 'warningOffset', request.warningOffset)),
    ...present('category', cleared(request.categoryChange, 'category', request.category)),
    ...present('tags', request.tags ? (request.tags.values ?? []) : undefined),
  };
}

/** The response message: { receipt } with the task as a TaskView. */
export function responseOf({ reply, replayed }: DispatchedReply): { receipt: Record<string, unknown> } {
  const accepted = reply.kind === 'accepted';
  return {
    receipt: {
      commandId: reply.commandId,
      taskId: reply.taskId,
      state: accepted ? 'COMMAND_STATE_ACCEPTED' : 'COMMAND_STATE_PENDING',
      ...(accepted && reply.task ? { task: taskViewOf(reply.task) } : {}),
      version: accepted ? reply.version : 0,
      consistencyToken: accepted ? (reply.consistencyToken ?? '') : '',
      replayed,
    },
  };
}

export function isRejected(reply: CommandReply): reply is Extract<CommandReply, { kind: 'rejected' }> {
  return reply.kind === 'rejected';
}

function taskViewOf(task: TaskRepresentation): Record<string, unknown> {
  return {
    taskId: task.taskId,
    userId: task.userId,
    taskTitle: task.taskTitle,
    taskDescription: task.taskDescription,
    taskStatus: `TASK_STATUS_${task.taskStatus}`,
    ...present('dueDate', task.dueDate === null ? undefined : timestampOf(task.dueDate)),
    ...present('warningOffset', task.warningOffset ?? undefined),
    ...present('category', task.category ?? undefined),
    tags: [...task.tags],
    createdAt: timestampOf(task.createdAt),
    updatedAt: timestampOf(task.updatedAt),
    ...present('completedAt', task.completedAt === null ? undefined : timestampOf(task.completedAt)),
    ...present('deletedAt', task.deletedAt === null ? undefined : timestampOf(task.deletedAt)),
    version: task.version,
  };
}

const STATUS_PREFIX = 'TASK_STATUS_';

// UNSPECIFIED (absent) means "not given"; an unknown name is passed on for validation to refuse.
function statusOf(name: string | undefined): TaskStatus | undefined {
  if (name === undefined || name === 'TASK_STATUS_UNSPECIFIED') return undefined;
  return (name.startsWith(STATUS_PREFIX) ? name.slice(STATUS_PREFIX.length) : name) as TaskStatus;
}

function isoOf(timestamp: Timestamp): string {
  const ms = Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'invalid';
}

function timestampOf(iso: string): Timestamp {
  const ms = Date.parse(iso);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * 1e6 };
}

function present<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
