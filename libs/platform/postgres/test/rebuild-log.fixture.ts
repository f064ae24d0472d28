// A synthetic event log for rebuild tests and the rebuild benchmark: tasks
// of a few owners with due dates (reminders), detail updates, status changes
// and deletions, produced with the contracts' own record codec through an
// idempotent producer in large batches (as the command-processor bench does).
import { randomUUID } from 'node:crypto';
import { taskEventRecord, type KafkaRecord } from '@tasklog/contracts';
import { evolve, initialState, recordEvents, type TaskEvent, type TaskState } from '@tasklog/domain';
import type { KafkaClient } from '@tasklog/platform/kafka';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** The n-th event (0-based) of a task with `id`. */
function nthEvent(id: string, n: number, serial: number, state: TaskState): TaskEvent {
  if (n === 0) {
    return {
      type: 'TaskCreated',
      schemaVersion: 2,
      data: {
        taskId: id,
        ownerId: `owner-${serial % 7}`,
        title: `task ${serial}`,
        description: 'generated for a rebuild',
        status: 'NOT_STARTED',
        dueDate: serial % 3 === 0 ? at(86_400 + serial) : null,
        warningOffset: serial % 3 === 0 ? 30 : null,
        category: serial % 2 === 0 ? 'work' : null,
        tags: serial % 4 === 0 ? ['a', 'b'] : [],
        createdAt: at(serial),
      },
    };
  }
  const when = at(serial + n * 10);
  if (n === 2 && state.exists && state.status === 'NOT_STARTED')
    return {
      type: 'TaskStatusChanged',
      schemaVersion: 1,
      data: { taskId: id, from: 'NOT_STARTED', to: 'IN_PROGRESS', changedAt: when },
    };
  if (n === 4 && serial % 5 === 0)
    return { type: 'TaskDeleted', schemaVersion: 1, data: { taskId: id, deletedAt: when } };
  return {
    type: 'TaskDetailsUpdated',
    schemaVersion: 1,
    data: { taskId: id, changes: { title: `task ${serial} v${n}` }, updatedAt: when },
  };
}

export class SyntheticLog {
  private readonly states = new Map<string, TaskState>();
  private serial = 0;

  /** Records for `tasks` new tasks with `perTask` events each (round by round, so partitions interleave). */
  *records(tasks: number, perTask: number): Generator<KafkaRecord> {
    const ids = Array.from({ length: tasks }, () => ({ id: randomUUID(), serial: this.serial++ }));
    for (let n = 0; n < perTask; n++) {
      for (const { id, serial } of ids) {
        const before = this.states.get(id) ?? initialState();
        if (before.exists && before.deletedAt !== null) continue;
        yield this.record(id, serial, n, before);
      }
    }
  }

  /** One more detail update of each of up to `count` existing tasks. */
  *updates(count: number): Generator<KafkaRecord> {
    let done = 0;
    for (const [id, state] of this.states) {
      if (done >= count) return;
      if (!state.exists || state.deletedAt !== null) continue;
      yield this.record(id, this.serial++, 1, state);
      done++;
    }
  }

  private record(id: string, serial: number, n: number, before: TaskState): KafkaRecord {
    const event = nthEvent(id, n, serial, before);
    this.states.set(id, evolve(before, event));
    const [recorded] = recordEvents([event], {
      command: { commandId: randomUUID(), taskId: id, actorId: 'rebuild-test' },
      versionBefore: before.version,
      recordedAt: at(serial + n),
      newEventId: () => randomUUID(),
    });
    return taskEventRecord(recorded!, { source: '/tasklog/rebuild-test' });
  }
}

/** Produces the records in batches of `chunk`, up to 32 sends in flight; returns how many. */
export async function produceAll(
  kafka: KafkaClient,
  topic: string,
  records: Iterable<KafkaRecord>,
  chunk = 2000,
): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let count = 0;
  try {
    let batch: KafkaRecord[] = [];
    const inFlight: Promise<unknown>[] = [];
    for (const r of records) {
      batch.push(r);
      count++;
      if (batch.length >= chunk) {
        inFlight.push(producer.send({ topic, acks: -1, messages: batch }));
        batch = [];
      }
      if (inFlight.length >= 32) await Promise.all(inFlight.splice(0));
    }
    if (batch.length > 0) inFlight.push(producer.send({ topic, acks: -1, messages: batch }));
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return count;
}
