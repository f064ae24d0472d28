// Field rules for task commands. Validators collect every field error (so a
// client can fix them all at once) and return the normalized value: trimmed
// texts, canonical instants, tags in the order given.
import { parseInstant } from '../shared/instant.js';
import type { FieldError } from './task.rejections.js';
import { isTaskStatus, type TaskStatus } from './task-status.machine.js';
import type { CommandMetadata, TaskDetailsChanges } from './task.commands.js';

export const TASK_LIMITS = {
  /** Room for any identity provider's subject. */
  ownerIdMaxLength: 255,
  titleMaxLength: 200,
  descriptionMaxLength: 5000,
  categoryMaxLength: 100,
  maxTags: 20,
  tagMaxLength: 40,
  /** One year, in minutes. */
  warningOffsetMax: 525_600,
} as const;

export type FieldErrors = FieldError[];

// Lone surrogates cannot be encoded as UTF-8 (protobuf strings) and NUL cannot
// be stored in a PostgreSQL text column; both are refused at the door.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function validateMetadata(metadata: CommandMetadata, errors: FieldErrors): void {
  for (const field of ['commandId', 'taskId', 'actorId'] as const) {
    if (!isNonBlank(metadata[field])) errors.push({ field: `metadata.${field}`, message: 'is required' });
  }
  if (typeof metadata.issuedAt !== 'string' || parseInstant(metadata.issuedAt) === null) {
    errors.push({ field: 'metadata.issuedAt', message: 'must be an ISO 8601 instant' });
  }
  const expected = metadata.expectedVersion;
  if (expected !== undefined && !(Number.isSafeInteger(expected) && expected >= 0)) {
    errors.push({ field: 'metadata.expectedVersion', message: 'must be an integer >= 0' });
  }
}

export function requiredText(value: unknown, field: string, max: number, errors: FieldErrors): string {
  if (typeof value !== 'string' || value.trim() === '') {
    errors.push({ field, message: 'is required' });
    return '';
  }
  return boundedText(value.trim(), field, max, errors);
}

export function optionalText(value: unknown, field: string, max: number, errors: FieldErrors): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') {
    errors.push({ field, message: 'must be a string' });
    return '';
  }
  return boundedText(value, field, max, errors);
}

export function nullableText(value: unknown, field: string, max: number, errors: FieldErrors): string | null {
  if (value === undefined || value === null) return null;
  return requiredText(value, field, max, errors);
}

export function nullableInstant(value: unknown, field: string, errors: FieldErrors): string | null {
  if (value === undefined || value === null) return null;
  const instant = typeof value === 'string' ? parseInstant(value) : null;
  if (instant === null) errors.push({ field, message: 'must be an ISO 8601 date or date-time' });
  return instant;
}

export function nullableWarningOffset(value: unknown, field: string, errors: FieldErrors): number | null {
  if (value === undefined || value === null) return null;
  const max = TASK_LIMITS.warningOffsetMax;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    errors.push({ field, message: `must be a whole number of minutes from 0 to ${max}` });
    return null;
  }
  return value;
}

export function validTags(value: unknown, field: string, errors: FieldErrors): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    errors.push({ field, message: 'must be a list of strings' });
    return [];
  }
  if (value.length > TASK_LIMITS.maxTags) {
    errors.push({ field, message: `must hold at most ${TASK_LIMITS.maxTags} tags` });
  }
  const tags = value.map((tag, index) => requiredText(tag, `${field}[${index}]`, TASK_LIMITS.tagMaxLength, errors));
  if (new Set(tags).size !== tags.length) errors.push({ field, message: 'must not repeat a tag' });
  return tags;
}

export function validStatus(value: unknown, field: string, errors: FieldErrors): TaskStatus {
  if (isTaskStatus(value)) return value;
  errors.push({ field, message: 'must be one of NOT_STARTED, IN_PROGRESS, BLOCKED, DEFERRED, COMPLETED, CANCELLED' });
  return 'NOT_STARTED';
}

/** Normalizes a details patch, keeping only the fields it mentions. */
export function validChanges(changes: TaskDetailsChanges, errors: FieldErrors): TaskDetailsChanges {
  const limits = TASK_LIMITS;
  const result: { -readonly [K in keyof TaskDetailsChanges]: TaskDetailsChanges[K] } = {};
  if (changes.title !== undefined) result.title = requiredText(changes.title, 'title', limits.titleMaxLength, errors);
  if (changes.description !== undefined) {
    result.description = optionalText(changes.description, 'description', limits.descriptionMaxLength, errors);
  }
  if (changes.dueDate !== undefined) result.dueDate = nullableInstant(changes.dueDate, 'dueDate', errors);
  if (changes.warningOffset !== undefined) {
    result.warningOffset = nullableWarningOffset(changes.warningOffset, 'warningOffset', errors);
  }
  if (changes.category !== undefined) {
    result.category = nullableText(changes.category, 'category', limits.categoryMaxLength, errors);
  }
  if (changes.tags !== undefined) result.tags = validTags(changes.tags, 'tags', errors);
  return result;
}

export function validDueDateOfReminder(value: unknown, errors: FieldErrors): string {
  const instant = typeof value === 'string' ? parseInstant(value) : null;
  if (instant === null) errors.push({ field: 'dueDate', message: 'must be an ISO 8601 date or date-time' });
  return instant ?? '';
}

function boundedText(value: string, field: string, max: number, errors: FieldErrors): string {
  if (LONE_SURROGATE.test(value) || value.includes('\u0000'))
    errors.push({ field, message: 'must not contain NUL or unpaired surrogates' });
  if (codePoints(value) > max) errors.push({ field, message: `must be at most ${max} characters` });
  return value;
}

// Characters as people count them: an emoji is one, not two UTF-16 units.
function codePoints(value: string): number {
  return [...value].length;
}

function isNonBlank(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
