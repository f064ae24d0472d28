import { describe, expect, it } from '@jest/globals';
import {
  ContractDecodingError,
  commandResultRecord,
  commandResultToProto,
  decodeCommandResult,
  encodeCommandResult,
  proto,
  readCommandResultRecord,
  toTaskRepresentation,
  type CommandResult,
} from '@tasklog/contracts';
import { create, toBinary } from '@bufbuild/protobuf';
import { foldTask, type ExistingTask } from '@tasklog/domain';
import { TASK_ID, events } from '@tasklog/testing';

const task = foldTask([
  events.created({ dueDate: '2026-02-01T00:00:00.000Z', tags: ['a'] }),
  events.completed('NOT_STARTED'),
]) as ExistingTask;

const accepted: CommandResult = {
  commandId: 'cmd-1',
  taskId: TASK_ID,
  outcome: {
    kind: 'accepted',
    newVersion: 2,
    task: toTaskRepresentation(task),
    partition: 7,
    offset: '9007199254740993',
  },
};

const rejected: CommandResult = {
  commandId: 'cmd-2',
  taskId: TASK_ID,
  outcome: {
    kind: 'rejected',
    rejection: {
      code: 'TASK.VALIDATION',
      message: 'Invalid command: title is required',
      currentVersion: 2,
      fieldErrors: [{ field: 'title', message: 'is required' }],
    },
  },
};

describe('command results', () => {
  it('represent the task with the public field names', () => {
    expect(toTaskRepresentation(task)).toMatchObject({
      userId: 'user-1',
      taskTitle: 'Write the design',
      taskStatus: 'COMPLETED',
      version: 2,
    });
  });

  it.each([
    ['accepted', accepted],
    [
      'accepted without a known event offset',
      { ...accepted, outcome: { ...accepted.outcome, offset: null, task: null } } as CommandResult,
    ],
    ['rejected', rejected],
    [
      'rejected without field errors',
      {
        ...rejected,
        outcome: { kind: 'rejected', rejection: { code: 'TASK.NOT_FOUND', message: 'm', currentVersion: 0 } },
      } as CommandResult,
    ],
  ])('round-trip when %s (offsets stay exact beyond 2^53)', (_, result) => {
    expect(decodeCommandResult(encodeCommandResult(result))).toStrictEqual(result);
    // Encoded from an init object, without create(): the bytes of the reflective encoder.
    expect(Buffer.from(encodeCommandResult(result))).toEqual(
      Buffer.from(toBinary(proto.CommandResultSchema, commandResultToProto(result))),
    );
  });

  it('refuse an unknown rejection code or a missing outcome', () => {
    const unknown = create(proto.CommandResultSchema, {
      commandId: 'c',
      outcome: { case: 'rejected', value: { code: 'TASK.EXPLODED' } },
    });
    expect(() => decodeCommandResult(toBinary(proto.CommandResultSchema, unknown))).toThrow(/unknown rejection code/);
    expect(() => decodeCommandResult(toBinary(proto.CommandResultSchema, create(proto.CommandResultSchema)))).toThrow(
      ContractDecodingError,
    );
  });

  it('travel as records keyed by task id, caused by the command', () => {
    const record = commandResultRecord(accepted, {
      source: '/tasklog/command-processor',
      time: '2026-01-10T09:00:00.000Z',
    });
    expect(record).toMatchObject({
      key: TASK_ID,
      headers: { ce_id: 'cmd-1', ce_type: 'tasklog.command.result.v1', 'causation-id': 'cmd-1' },
    });
    expect(readCommandResultRecord(record).result).toStrictEqual(accepted);
    expect(() => readCommandResultRecord({ ...record, headers: { ...record.headers, ce_type: 'x' } })).toThrow(
      /is not tasklog.command.result.v1/,
    );
  });
});
