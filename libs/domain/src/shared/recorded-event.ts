// An event as stored in the log: the domain event plus its envelope metadata.
// The command processor stamps the metadata when it appends; the domain's
// events stay free of ids and positions.

export interface EventMetadata {
  readonly eventId: string;
  readonly taskId: string;
  /** The stream version after this event: 1 for the creating event. */
  readonly version: number;
  /** ISO 8601 instant the event was recorded (the CloudEvents time). */
  readonly recordedAt: string;
  readonly actorId: string;
  /** The id of the command that produced the event. */
  readonly causationId: string;
  readonly correlationId?: string;
}

export interface RecordedEvent<Event> {
  readonly event: Event;
  readonly metadata: EventMetadata;
}

export interface RecordingContext {
  readonly command: {
    readonly commandId: string;
    readonly taskId: string;
    readonly actorId: string;
    readonly correlationId?: string;
  };
  /** The stream version before the first of the events. */
  readonly versionBefore: number;
  readonly recordedAt: string;
  /** Supplies the event ids (UUIDs in production, fixed values in tests). */
  readonly newEventId: (index: number) => string;
}

/** Wraps freshly decided events in the metadata they are appended with. */
export function recordEvents<Event>(events: readonly Event[], context: RecordingContext): RecordedEvent<Event>[] {
  const { command } = context;
  return events.map((event, index) => ({
    event,
    metadata: {
      eventId: context.newEventId(index),
      taskId: command.taskId,
      version: context.versionBefore + index + 1,
      recordedAt: context.recordedAt,
      actorId: command.actorId,
      causationId: command.commandId,
      ...(command.correlationId === undefined ? {} : { correlationId: command.correlationId }),
    },
  }));
}
