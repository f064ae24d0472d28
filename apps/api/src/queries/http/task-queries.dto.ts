// Query-string DTOs of the task queries (DESIGN.md §5a). Values arrive as
// strings: numbers, booleans, lists and instants are converted explicitly,
// instants to the domain's canonical form so the cache key of a query does
// not depend on how the client spelled its dates.
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateBy,
  buildMessage,
} from 'class-validator';
import { TASK_STATUSES, isCanonicalInstant, parseInstant, type TaskStatus } from '@tasklog/domain';
import { TASK_SORT_FIELDS, type TaskSortField } from '@tasklog/platform/postgres';

export const MAX_PAGE_SIZE = 100;

const asList = ({ value }: { value: unknown }) =>
  (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]));
const asInstant = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? (parseInstant(value) ?? value) : value;
const asBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** An ISO 8601 date-time (with Z or an offset) or date, normalized to the canonical UTC instant. */
function IsInstant() {
  return ValidateBy({
    name: 'isInstant',
    validator: {
      validate: (value) => typeof value === 'string' && isCanonicalInstant(value),
      defaultMessage: buildMessage((each) => `${each}$property must be an ISO 8601 date-time or date`),
    },
  });
}

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;
}

export class ListTasksQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TASK_STATUSES, isArray: true, description: 'One or more, comma-separated' })
  @IsOptional()
  @Transform(asList)
  @ArrayMaxSize(TASK_STATUSES.length)
  @IsIn(TASK_STATUSES, { each: true })
  taskStatus?: TaskStatus[];

  @ApiPropertyOptional({ description: 'Words matched as prefixes in the title and description' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  search?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  category?: string;

  @ApiPropertyOptional({
    isArray: true,
    type: String,
    description: 'Tasks carrying every tag given (repeat or comma-separate)',
  })
  @IsOptional()
  @Transform(asList)
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, 40, { each: true })
  tag?: string[];

  @ApiPropertyOptional({ description: 'Due strictly before this instant' })
  @IsOptional()
  @Transform(asInstant)
  @IsInstant()
  dueBefore?: string;

  @ApiPropertyOptional({ description: 'Due at or after this instant' })
  @IsOptional()
  @Transform(asInstant)
  @IsInstant()
  dueAfter?: string;

  @ApiPropertyOptional({ description: 'Updated at or after this instant (deleted tasks too with includeDeleted)' })
  @IsOptional()
  @Transform(asInstant)
  @IsInstant()
  updatedSince?: string;

  @ApiPropertyOptional({ description: "Another user's tasks: admin only (your own id is always allowed)" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  userId?: string;

  @ApiPropertyOptional({ default: false, description: 'Include soft-deleted tasks (they carry deletedAt)' })
  @IsOptional()
  @Transform(asBoolean)
  @IsBoolean()
  includeDeleted?: boolean;

  @ApiPropertyOptional({ enum: TASK_SORT_FIELDS, default: 'createdAt' })
  @IsOptional()
  @IsIn(TASK_SORT_FIELDS)
  sort?: TaskSortField;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export class GetTaskQueryDto {
  @ApiPropertyOptional({ description: 'The task as it was at this instant, folded from its history' })
  @IsOptional()
  @Transform(asInstant)
  @IsInstant()
  asOf?: string;
}

export class TaskStatsQueryDto {
  @ApiPropertyOptional({ description: "Another user's figures: admin only. Admin without it: every user's" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  userId?: string;
}
