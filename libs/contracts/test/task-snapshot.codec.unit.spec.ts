import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  checkpointKey,
  commandResultToProto,
  decodeSnapshotContent,
  encodeCommandResult,
  encodeSnapshotContent,
  proto,
  taskStateToProto,
  toTaskRepresentation,
  type CommandResult,
  readSnapshotRecord,
  snapshotRecord,
  type SnapshotContent,
} from '@tasklog/contracts';
import { decide, evolve, initialState, type TaskState } from '@tasklog/domain';
import { arbCommandSequence } from '@tasklog/testing';

function stateAfter(commands: Parameters<typeof decide>[0][]): TaskState {
  return commands.reduce((state, command) => {
    const decision = decide(command, state);
    return decision.kind === 'accepted' ? decision.events.reduce(evolve, state) : state;
  }, initialState());
}

const options = { source: '/tasklog/command-processor', id: 'snap-1', time: '2026-01-10T09:00:00.000Z' };

describe('snapshots', () => {
  it('round-trip any reachable task state', () => {
    fc.assert(
      fc.property(
        arbCommandSequence,
        fc.option(fc.bigInt({ min: 0n, max: 2n ** 62n }), { nil: null }),
        (commands, offset) => {
          const state = stateAfter(commands);
          if (!state.exists) return;
          const content: SnapshotContent = {
            kind: 'task-snapshot',
            snapshot: { state, recentCommandResults: [], lastEventOffset: offset === null ? null : String(offset) },
          };
          expect(decodeSnapshotContent(encodeSnapshotContent(content))).toStrictEqual(structuredClone(content));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keep the recent command outcomes', () => {
    const content: SnapshotContent = {
      kind: 'task-snapshot',
      snapshot: {
        state: { ...fullState },
        recentCommandResults: [
          {
            commandId: 'c1',
            taskId: fullState.taskId,
            outcome: { kind: 'accepted', newVersion: 1, task: null, partition: 3, offset: '10' },
          },
          {
            commandId: 'c2',
            taskId: fullState.taskId,
            outcome: { kind: 'rejected', rejection: { code: 'TASK.DELETED', message: 'm', currentVersion: 1 } },
          },
        ],
        lastEventOffset: '10',
      },
    };
    expect(decodeSnapshotContent(encodeSnapshotContent(content))).toStrictEqual(content);
  });

  it('assemble the bytes the reflective encoder writes, from results kept as objects or as their bytes', () => {
    fc.assert(
      fc.property(
        arbCommandSequence,
        fc.option(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), { nil: null }),
        fc.array(
          fc.tuple(fc.boolean(), fc.nat(1000), fc.option(fc.bigInt({ min: 0n, max: 2n ** 62n }), { nil: null })),
          { maxLength: 8 },
        ),
        (commands, offset, outcomes) => {
          const state = stateAfter(commands);
          if (!state.exists) return;
          const results: CommandResult[] = outcomes.map(([accepted, n, at], i) => ({
            commandId: `c${i}`,
            taskId: state.taskId,
            outcome: accepted
              ? {
                  kind: 'accepted',
                  newVersion: n,
                  task: n % 2 === 0 ? toTaskRepresentation(state) : null,
                  partition: n % 12,
                  offset: at === null ? null : String(at),
                }
              : { kind: 'rejected', rejection: { code: 'TASK.VERSION_CONFLICT', message: `m${n}`, currentVersion: n } },
          }));
          // Every other result as the processor's window keeps it once written: its bytes.
          const kept = results.map((r, i) =>
            i % 2 === 0 ? r : { commandId: r.commandId, encoded: encodeCommandResult(r) },
          );
          const lastEventOffset = offset === null ? null : String(offset);
          const content: SnapshotContent = {
            kind: 'task-snapshot',
            snapshot: { state, recentCommandResults: kept, lastEventOffset },
          };
          const reflective = toBinary(
            proto.SnapshotRecordSchema,
            create(proto.SnapshotRecordSchema, {
              record: {
                case: 'taskSnapshot',
                value: create(proto.TaskSnapshotSchema, {
                  state: taskStateToProto(state),
                  recentCommandResults: results.map(commandResultToProto),
                  ...(lastEventOffset === null ? {} : { lastEventOffset }),
                }),
              },
            }),
          );
          const bytes = encodeSnapshotContent(content);
          expect(Buffer.from(bytes)).toEqual(Buffer.from(reflective));
          expect(decodeSnapshotContent(bytes)).toStrictEqual(
            structuredClone({
              kind: 'task-snapshot',
              snapshot: { state, recentCommandResults: results, lastEventOffset },
            }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('write task snapshots keyed by task id and checkpoints to their own partition', () => {
    const task = snapshotRecord(
      { kind: 'task-snapshot', snapshot: { state: fullState, recentCommandResults: [], lastEventOffset: null } },
      options,
    );
    expect(task).toMatchObject({
      key: fullState.taskId,
      headers: { ce_type: 'tasklog.task.snapshot.v1', ce_subject: fullState.taskId },
    });
    expect(task.partition).toBeUndefined();

    const checkpoint: SnapshotContent = {
      kind: 'partition-checkpoint',
      checkpoint: { partition: 5, nextEventOffset: '1234', writtenAt: options.time },
    };
    const record = snapshotRecord(checkpoint, options);
    expect(record).toMatchObject({
      key: checkpointKey(5),
      partition: 5,
      headers: { ce_type: 'tasklog.partition.checkpoint.v1' },
    });
    expect(readSnapshotRecord(record).content).toStrictEqual(checkpoint);
    expect(readSnapshotRecord(task).content.kind).toBe('task-snapshot');
  });

  it('refuse a record whose headers disagree with its payload', () => {
    const record = snapshotRecord(
      { kind: 'partition-checkpoint', checkpoint: { partition: 1, nextEventOffset: '0', writtenAt: options.time } },
      options,
    );
    expect(() =>
      readSnapshotRecord({ ...record, headers: { ...record.headers, ce_type: 'tasklog.task.snapshot.v1' } }),
    ).toThrow(/do not match/);
  });
});

const fullState = {
  exists: true,
  taskId: 'task-1',
  ownerId: 'user-1',
  title: 'T',
  description: 'D',
  status: 'BLOCKED',
  dueDate: '2026-02-01T00:00:00.000Z',
  warningOffset: 0,
  category: 'c',
  tags: ['x', 'y'],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  completedAt: null,
  deletedAt: '2026-01-03T00:00:00.000Z',
  reminder: { firedForDueDate: '2026-02-01T00:00:00.000Z', firedAt: '2026-01-31T23:00:00.000Z' },
  version: 9,
} as const;
