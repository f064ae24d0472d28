// Specifications for deciders that read like the rule they pin:
//   given([events]).when(command).then([events])
//   given([events]).when(command).thenRejects('TASK.DELETED')
// `then` also folds the produced events onto the given state, so a spec fails
// when the decider emits an event its own evolve cannot apply.
import { deepStrictEqual, fail, strictEqual } from 'node:assert/strict';
import type { Decider } from '@tasklog/domain';

interface CodedRejection {
  readonly code: string;
  readonly fieldErrors?: readonly { readonly field: string; readonly message: string }[];
}

export interface DeciderOutcome<Event, State, Rejection> {
  /** Asserts the exact events (none for `[]`); returns the state after them. */
  then(expected: readonly Event[]): State;
  /** Asserts a rejection with this code (and these fields, when given); returns it. */
  thenRejects(code: string, fields?: readonly string[]): Rejection;
}

export interface DeciderSpecification<Command, Event, State, Rejection> {
  given(events: readonly Event[]): { when(command: Command): DeciderOutcome<Event, State, Rejection> };
}

export function deciderSpecification<Command, Event, State, Rejection extends CodedRejection>(
  decider: Decider<Command, Event, State, Rejection>,
): DeciderSpecification<Command, Event, State, Rejection> {
  return {
    given: (events) => ({
      when: (command) => {
        const state = events.reduce(decider.evolve, decider.initialState());
        const decision = decider.decide(command, state);
        return {
          then(expected) {
            if (decision.kind === 'rejected') fail(`expected events, got rejection ${describe(decision.rejection)}`);
            deepStrictEqual(decision.events, expected);
            return decision.events.reduce(decider.evolve, state);
          },
          thenRejects(code, fields) {
            if (decision.kind === 'accepted')
              fail(`expected rejection ${code}, got events ${describe(decision.events)}`);
            strictEqual(decision.rejection.code, code, `rejection ${describe(decision.rejection)}`);
            if (fields !== undefined) {
              deepStrictEqual(
                (decision.rejection.fieldErrors ?? []).map((error) => error.field),
                fields,
              );
            }
            return decision.rejection;
          },
        };
      },
    }),
  };
}

function describe(value: unknown): string {
  return JSON.stringify(value);
}
