// Response shapes of the command endpoints, for the OpenAPI document.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TASK_STATUSES, type TaskStatus } from '@tasklog/domain';

const EXAMPLE_TASK_ID = '01936f0e-8c3a-7b2e-9f41-3c5d2a1b0e77';
const EXAMPLE_COMMAND_ID = '5f0c2a8e-6d1b-4c3e-9a7f-2b8d4e6f1a09';

export class TaskResponse {
  @ApiProperty({ example: EXAMPLE_TASK_ID, description: 'UUIDv7 chosen by the API' })
  taskId!: string;
  @ApiProperty({ example: 'user-42', description: 'The owner' })
  userId!: string;
  @ApiProperty({ example: 'Prepare the Q4 report' })
  taskTitle!: string;
  @ApiProperty({ example: 'Quarterly numbers for the board' })
  taskDescription!: string;
  @ApiProperty({ enum: TASK_STATUSES, example: 'NOT_STARTED' })
  taskStatus!: TaskStatus;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-12-01T17:00:00.000Z' })
  dueDate!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 60, description: 'Minutes before dueDate' })
  warningOffset!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'finance' })
  category!: string | null;
  @ApiProperty({ type: [String], example: ['q4', 'board'] })
  tags!: string[];
  @ApiProperty({ format: 'date-time', example: '2026-11-22T09:00:00.000Z' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-22T09:00:00.000Z' })
  updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  completedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  deletedAt!: string | null;
  @ApiProperty({ example: 1, description: 'Number of events applied; the ETag and If-Match value' })
  version!: number;
}

export class CommandPendingResponse {
  @ApiProperty({ example: EXAMPLE_COMMAND_ID })
  commandId!: string;
  @ApiProperty({ example: EXAMPLE_TASK_ID })
  taskId!: string;
  @ApiProperty({ enum: ['pending'], example: 'pending' })
  status!: 'pending';
  @ApiProperty({ example: `/api/v1/commands/${EXAMPLE_COMMAND_ID}`, description: 'Where the outcome will be told' })
  statusUrl!: string;
}

export class CommandProblemResponse {
  @ApiProperty({ example: 'https://tasklog.dev/problems/task-version-conflict' })
  type!: string;
  @ApiProperty({ example: 'Task version does not match' })
  title!: string;
  @ApiProperty({ example: 412 })
  status!: number;
  @ApiProperty({ example: 'Expected version 2 but the task is at version 3' })
  detail!: string;
  @ApiProperty({ example: 'TASK.VERSION_CONFLICT' })
  code!: string;
  @ApiPropertyOptional({ example: 3, description: "The task's version when the command was judged" })
  currentVersion?: number;
  @ApiPropertyOptional({
    example: [{ field: 'taskTitle', messages: ['taskTitle is required'] }],
    description: 'Invalid fields under their public names',
  })
  errors?: { field: string; messages: string[] }[];
}

export class CommandStatusResponse {
  @ApiProperty({ example: EXAMPLE_COMMAND_ID })
  commandId!: string;
  @ApiProperty({ type: String, nullable: true, example: EXAMPLE_TASK_ID })
  taskId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'CreateTask' })
  commandType!: string | null;
  @ApiProperty({ enum: ['pending', 'accepted', 'rejected'], example: 'accepted' })
  status!: 'pending' | 'accepted' | 'rejected';
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  submittedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  decidedAt!: string | null;
  @ApiPropertyOptional({ type: TaskResponse, nullable: true, description: 'accepted: the task after the command' })
  task?: TaskResponse | null;
  @ApiPropertyOptional({ example: 1, description: "accepted: the task's new version" })
  version?: number;
  @ApiPropertyOptional({ type: String, nullable: true, example: '2:1841', description: 'accepted: partition:offset' })
  consistencyToken?: string | null;
  @ApiPropertyOptional({ type: CommandProblemResponse, description: 'rejected: the problem the command answered' })
  problem?: CommandProblemResponse;
}
