// TaskDetailsChanges <-> TaskDetailsPatch. Absent means unchanged, and the
// proto oneofs keep "cleared" (null) apart from "unchanged" (undefined).
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TaskDetailsChanges } from '@tasklog/domain';
import { type TaskDetailsPatchSchema, type TaskDetailsPatch } from '../gen/tasklog/v1/task_pb.js';
import { fromTimestamp, toTimestamp } from './time.codec.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

type PatchInit = Mutable<MessageInitShape<typeof TaskDetailsPatchSchema>>;

/** The patch as an init object (encoded without create()). */
export function patchToProto(changes: TaskDetailsChanges): MessageInitShape<typeof TaskDetailsPatchSchema> {
  const patch: PatchInit = { title: changes.title, description: changes.description };
  if (changes.dueDate !== undefined) {
    patch.dueDateChange =
      changes.dueDate === null
        ? { case: 'clearDueDate', value: true }
        : { case: 'dueDate', value: toTimestamp(changes.dueDate, 'changes.dueDate') };
  }
  if (changes.warningOffset !== undefined) {
    patch.warningOffsetChange =
      changes.warningOffset === null
        ? { case: 'clearWarningOffset', value: true }
        : { case: 'warningOffset', value: changes.warningOffset };
  }
  if (changes.category !== undefined) {
    patch.categoryChange =
      changes.category === null
        ? { case: 'clearCategory', value: true }
        : { case: 'category', value: changes.category };
  }
  if (changes.tags !== undefined) patch.tags = { values: [...changes.tags] };
  return patch;
}

export function patchFromProto(patch: TaskDetailsPatch | undefined): TaskDetailsChanges {
  const changes: Mutable<TaskDetailsChanges> = {};
  if (patch === undefined) return changes;
  if (patch.title !== undefined) changes.title = patch.title;
  if (patch.description !== undefined) changes.description = patch.description;
  const { dueDateChange: due, warningOffsetChange: offset, categoryChange: category } = patch;
  if (due.case !== undefined)
    changes.dueDate = due.case === 'dueDate' ? fromTimestamp(due.value, 'changes.dueDate') : null;
  if (offset.case !== undefined) changes.warningOffset = offset.case === 'warningOffset' ? offset.value : null;
  if (category.case !== undefined) changes.category = category.case === 'category' ? category.value : null;
  if (patch.tags !== undefined) changes.tags = [...patch.tags.values];
  return changes;
}
