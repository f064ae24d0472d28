// Request bodies of the command endpoints, with the field names of the
// reference documents. The HTTP layer checks shapes and limits; the domain
// checks its own rules again (TASK.VALIDATION) when it decides.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';
import { TASK_LIMITS, TASK_STATUSES, parseInstant, type TaskStatus } from '@tasklog/domain';

/** ISO 8601 date-time with Z or an offset, or a date (midnight UTC): what the domain accepts. */
function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseInstant(value) !== null,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be an ISO 8601 date-time with a time zone, or a date`,
      },
    },
    options,
  );
}

/** Validates the field when it is present; explicit null is invalid (the field is not nullable). */
const WhenPresent = () => ValidateIf((_object, value: unknown) => value !== undefined);

const NOT_BLANK = /\S/;

// The reference client sends numeric user ids (`userId: 1`); ids are strings here.
const numberToString = ({ value }: { value: unknown }) =>
  typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;

class TaskFieldsBody {
  @ApiPropertyOptional({ maxLength: TASK_LIMITS.descriptionMaxLength, example: 'Quarterly numbers for the board' })
  @WhenPresent()
  @IsString()
  @MaxLength(TASK_LIMITS.descriptionMaxLength)
  taskDescription?: string;

  @ApiPropertyOptional({ enum: TASK_STATUSES, example: 'NOT_STARTED' })
  @WhenPresent()
  @IsIn(TASK_STATUSES)
  taskStatus?: TaskStatus;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-12-01T17:00:00Z',
    description: 'ISO 8601 with a time zone (or a date: midnight UTC); null for none',
  })
  @IsOptional()
  @IsInstant()
  dueDate?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    maximum: TASK_LIMITS.warningOffsetMax,
    example: 60,
    description: 'Minutes before dueDate at which the reminder fires; null for none',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(TASK_LIMITS.warningOffsetMax)
  warningOffset?: number | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: TASK_LIMITS.categoryMaxLength, example: 'finance' })
  @IsOptional()
  @IsString()
  @Length(1, TASK_LIMITS.categoryMaxLength)
  @Matches(NOT_BLANK, { message: 'category must not be blank' })
  category?: string | null;

  @ApiPropertyOptional({
    type: [String],
    maxItems: TASK_LIMITS.maxTags,
    example: ['q4', 'board'],
    description: `At most ${TASK_LIMITS.maxTags} unique tags of 1–${TASK_LIMITS.tagMaxLength} characters`,
  })
  @WhenPresent()
  @ArrayMaxSize(TASK_LIMITS.maxTags)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, TASK_LIMITS.tagMaxLength, { each: true })
  @Matches(NOT_BLANK, { each: true, message: 'each value in tags must not be blank' })
  tags?: string[];
}

export class CreateTaskBody extends TaskFieldsBody {
  @ApiPropertyOptional({
    type: String,
    description:
      'The owner. Defaults to the caller; naming another user needs the admin scope (403 otherwise). ' +
      'An integer is accepted and read as its decimal string',
    example: 'user-42',
  })
  @Transform(numberToString)
  @WhenPresent()
  @IsString()
  @Length(1, TASK_LIMITS.ownerIdMaxLength)
  userId?: string;

  @ApiProperty({ minLength: 1, maxLength: TASK_LIMITS.titleMaxLength, example: 'Prepare the Q4 report' })
  @IsString()
  @Length(1, TASK_LIMITS.titleMaxLength)
  @Matches(NOT_BLANK, { message: 'taskTitle must not be blank' })
  taskTitle!: string;
}

export class UpdateTaskBody extends TaskFieldsBody {
  @ApiPropertyOptional({ minLength: 1, maxLength: TASK_LIMITS.titleMaxLength, example: 'Prepare the Q4 report' })
  @WhenPresent()
  @IsString()
  @Length(1, TASK_LIMITS.titleMaxLength)
  @Matches(NOT_BLANK, { message: 'taskTitle must not be blank' })
  taskTitle?: string;
}
