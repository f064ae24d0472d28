// The decider shape every aggregate follows: decide is pure and answers with
// events or a business rejection (never an exception); evolve folds one event
// into the state; initialState is the state of a stream with no events.

export type Decision<Event, Rejection> =
  | { readonly kind: 'accepted'; readonly events: readonly Event[] }
  | { readonly kind: 'rejected'; readonly rejection: Rejection };

export interface Decider<Command, Event, State, Rejection> {
  decide(command: Command, state: State): Decision<Event, Rejection>;
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export function accepted<Event>(...events: Event[]): { kind: 'accepted'; events: Event[] } {
  return { kind: 'accepted', events };
}

export function rejected<Rejection>(rejection: Rejection): { kind: 'rejected'; rejection: Rejection } {
  return { kind: 'rejected', rejection };
}

/** Folds events onto a state; evolve throws when an event cannot apply. */
export function fold<Event, State>(
  evolve: (state: State, event: Event) => State,
  events: Iterable<Event>,
  state: State,
): State {
  let current = state;
  for (const event of events) current = evolve(current, event);
  return current;
}
