import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  ContractEncodingError,
  commandCeType,
  decodeTaskCommand,
  encodeTaskCommand,
  readTaskCommandRecord,
  taskCommandRecord,
} from '@tasklog/contracts';
import type { TaskCommand } from '@tasklog/domain';
import { TASK_ID, arbCommand, commands, meta } from '@tasklog/testing';

// The wire fills the defaults a domain command may leave out.
function withWireDefaults(command: TaskCommand): TaskCommand {
  if (command.type !== 'CreateTask') return command;
  const { data } = command;
  return {
    ...command,
    data: {
      ...data,
      description: data.description ?? '',
      dueDate: data.dueDate ?? null,
      warningOffset: data.warningOffset ?? null,
      category: data.category ?? null,
      tags: data.tags ?? [],
    },
  };
}

describe('task command codec', () => {
  it('round-trips every command with random payloads', () => {
    fc.assert(
      fc.property(arbCommand(), (command) => {
        expect(decodeTaskCommand(encodeTaskCommand(command))).toStrictEqual(structuredClone(withWireDefaults(command)));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an expected version of 0 (create only if absent)', () => {
    const command = commands.create({}, meta({ expectedVersion: 0 }));
    expect(decodeTaskCommand(encodeTaskCommand(command)).metadata.expectedVersion).toBe(0);
  });

  it('normalizes instants on the way in and refuses what is no instant', () => {
    const command = commands.create({ dueDate: '2026-02-01' });
    expect(decodeTaskCommand(encodeTaskCommand(command))).toMatchObject({
      data: { dueDate: '2026-02-01T00:00:00.000Z' },
    });
    expect(() => encodeTaskCommand(commands.create({ dueDate: 'soon' }))).toThrow(ContractEncodingError);
  });

  it('names command types in ce_type', () => {
    expect(commandCeType('CreateTask')).toBe('tasklog.command.create-task.v1');
    expect(commandCeType('FireReminder')).toBe('tasklog.command.fire-reminder.v1');
  });

  it('writes and reads command records keyed by task id', () => {
    const command = commands.changeStatus('BLOCKED', meta({ commandId: 'cmd-1', correlationId: 'c-1' }));
    const record = taskCommandRecord(command, { source: '/tasklog/api' });
    expect(record).toMatchObject({
      key: TASK_ID,
      headers: {
        ce_id: 'cmd-1',
        ce_type: 'tasklog.command.change-task-status.v1',
        ce_subject: TASK_ID,
        'correlation-id': 'c-1',
      },
    });
    expect(readTaskCommandRecord(record).command).toEqual(command);
    const lying = { ...record, headers: { ...record.headers, ce_type: 'tasklog.command.delete-task.v1' } };
    expect(() => readTaskCommandRecord(lying)).toThrow(/does not match the payload/);
  });
});
