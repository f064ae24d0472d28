import { describe, expect, it } from '@jest/globals';
import {
  PUBLIC_EVENT_NAMES,
  TASK_EVENT_CATALOGUE,
  eventCeType,
  parseEventCeType,
  publicEventName,
} from '@tasklog/contracts';
import { TASK_EVENT_SCHEMA_VERSIONS, TASK_EVENT_TYPES } from '@tasklog/domain';
import { events } from '@tasklog/testing';

describe('event type names', () => {
  it('map every domain event to a public event name of the reference documents', () => {
    expect(Object.fromEntries(TASK_EVENT_TYPES.map((type) => [type, publicEventName(type)]))).toEqual({
      TaskCreated: 'task.created',
      TaskDetailsUpdated: 'task.updated',
      TaskStatusChanged: 'task.updated',
      TaskCompleted: 'task.completed',
      TaskDeleted: 'task.deleted',
      TaskRestored: 'task.updated',
      TaskReminderDue: 'task.reminder',
    });
    expect(new Set(TASK_EVENT_TYPES.map(publicEventName))).toEqual(new Set(PUBLIC_EVENT_NAMES));
    expect(publicEventName(events.completed('BLOCKED'))).toBe('task.completed');
  });

  it('put the schema version into ce_type', () => {
    expect(eventCeType('TaskCreated')).toBe('tasklog.task.created.v2');
    expect(eventCeType('TaskCreated', 1)).toBe('tasklog.task.created.v1');
    expect(eventCeType('TaskReminderDue')).toBe('tasklog.task.reminder-due.v1');
  });

  it('parse back every current and older ce_type, and nothing else', () => {
    for (const type of TASK_EVENT_TYPES) {
      for (let version = 1; version <= TASK_EVENT_SCHEMA_VERSIONS[type]; version += 1) {
        expect(parseEventCeType(eventCeType(type, version))).toEqual({ eventType: type, version });
      }
    }
    expect(parseEventCeType('tasklog.task.created.v3')).toBeNull();
    expect(parseEventCeType('tasklog.task.created')).toBeNull();
    expect(parseEventCeType('task.created')).toBeNull();
  });

  it('keep the catalogue versions equal to the domain versions', () => {
    for (const type of TASK_EVENT_TYPES)
      expect(TASK_EVENT_CATALOGUE[type].currentVersion).toBe(TASK_EVENT_SCHEMA_VERSIONS[type]);
  });
});
