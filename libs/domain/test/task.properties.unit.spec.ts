// Properties of the Task decider over random command sequences (valid and
// invalid commands mixed, on one task id).
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  decide,
  evolve,
  foldTask,
  initialState,
  type TaskCommand,
  type TaskEvent,
  type TaskState,
} from '@tasklog/domain';
import { arbCommandSequence } from '@tasklog/testing';

/** Runs the commands the way the command processor does: decide, then evolve. */
function run(commands: readonly TaskCommand[]): { state: TaskState; events: TaskEvent[] } {
  let state = initialState();
  const events: TaskEvent[] = [];
  for (const command of commands) {
    const decision = decide(command, state);
    if (decision.kind === 'rejected') continue;
    for (const event of decision.events) {
      state = evolve(state, event);
      events.push(event);
    }
  }
  return { state, events };
}

describe('Task decider properties', () => {
  it('(1) refolding the produced events gives the live state, at version = number of events', () => {
    fc.assert(
      fc.property(arbCommandSequence, (commands) => {
        const { state, events } = run(commands);
        expect(foldTask(events)).toEqual(state);
        expect(state.version).toBe(events.length);
      }),
      { numRuns: 300 },
    );
  });

  it('(3) no command sequence produces an event that evolve cannot apply', () => {
    fc.assert(
      fc.property(arbCommandSequence, (commands) => {
        expect(() => run(commands)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('a rejection never changes anything and reports the current version', () => {
    fc.assert(
      fc.property(arbCommandSequence, fc.context(), (commands, ctx) => {
        const { state } = run(commands.slice(0, -1));
        const decision = decide(commands.at(-1)!, state);
        if (decision.kind === 'rejected') {
          ctx.log(decision.rejection.code);
          // NOT_FOUND says nothing about a task that exists for someone else.
          const expected = decision.rejection.code === 'TASK.NOT_FOUND' ? 0 : state.version;
          expect(decision.rejection.currentVersion).toBe(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('exercises every event type and every rejection code', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(arbCommandSequence, (commands) => {
        let state = initialState();
        for (const command of commands) {
          const decision = decide(command, state);
          if (decision.kind === 'rejected') {
            seen.add(decision.rejection.code);
            continue;
          }
          for (const event of decision.events) {
            seen.add(event.type);
            state = evolve(state, event);
          }
        }
      }),
      { numRuns: 800, seed: 7 },
    );
    expect([...seen].sort()).toEqual(
      [
        'TASK.ALREADY_EXISTS',
        'TASK.DELETED',
        'TASK.INVALID_TRANSITION',
        'TASK.NOT_FOUND',
        'TASK.VALIDATION',
        'TASK.VERSION_CONFLICT',
        'TaskCompleted',
        'TaskCreated',
        'TaskDeleted',
        'TaskDetailsUpdated',
        'TaskReminderDue',
        'TaskRestored',
        'TaskStatusChanged',
      ].sort(),
    );
  });
});
