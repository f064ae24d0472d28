import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractDecodingError, readTaskEventRecord, taskEventRecord } from '@tasklog/contracts';
import { recordEvents, type TaskEvent } from '@tasklog/domain';
import { TASK_ID, events, meta } from '@tasklog/testing';

const command = meta({ commandId: 'cmd-7', correlationId: 'corr-7' });
const [recorded] = recordEvents<TaskEvent>([events.created()], {
  command,
  versionBefore: 0,
  recordedAt: '2026-01-10T09:00:01.000Z',
  newEventId: (index) => `evt-${index}`,
});
const options = {
  source: '/tasklog/command-processor',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

describe('event-log records', () => {
  const record = taskEventRecord(recorded!, options);

  it('are keyed by task id and carry the CloudEvents headers of the event', () => {
    expect(record.key).toBe(TASK_ID);
    expect(record.headers).toMatchObject({
      ce_id: 'evt-0',
      ce_type: 'tasklog.task.created.v2',
      ce_source: '/tasklog/command-processor',
      ce_subject: TASK_ID,
      ce_time: '2026-01-10T09:00:01.000Z',
      'causation-id': 'cmd-7',
      'correlation-id': 'corr-7',
      traceparent: options.traceparent,
    });
  });

  it('read back into the recorded event', () => {
    const read = readTaskEventRecord({ key: Buffer.from(record.key), value: record.value, headers: record.headers });
    expect(read.recorded).toEqual(recorded);
    expect(read.storedVersion).toBe(2);
    expect(read.attributes.traceparent).toBe(options.traceparent);
  });

  it('upcast a stored v1 record announced as tasklog.task.created.v1', () => {
    const value = Buffer.from(
      readFileSync(join(import.meta.dirname, 'fixtures', 'task-created-v1.envelope.hex'), 'utf8').trim(),
      'hex',
    );
    const taskId = '0193a1b2-0000-7000-8000-0000000000aa';
    const headers = { ...record.headers, ce_type: 'tasklog.task.created.v1', ce_subject: taskId };
    const read = readTaskEventRecord({ key: taskId, value, headers });
    expect(read.storedVersion).toBe(1);
    expect(read.recorded.event).toMatchObject({ schemaVersion: 2, data: { status: 'NOT_STARTED', tags: [] } });
  });

  it.each([
    ['a ce_type of another event', { ce_type: 'tasklog.task.deleted.v1' }, /does not match the payload/],
    ['a ce_type of another version', { ce_type: 'tasklog.task.created.v1' }, /does not match the payload/],
    ['an unknown ce_type', { ce_type: 'tasklog.task.exploded.v1' }, /names no task event/],
    ['a ce_subject of another task', { ce_subject: 'other' }, /mixes tasks/],
  ])('are refused with %s', (_, override, message) => {
    expect(() => readTaskEventRecord({ value: record.value, headers: { ...record.headers, ...override } })).toThrow(
      message,
    );
  });

  it('are refused when the key is not the subject or the value is empty', () => {
    expect(() => readTaskEventRecord({ key: 'other', value: record.value, headers: record.headers })).toThrow(
      ContractDecodingError,
    );
    expect(() => readTaskEventRecord({ key: TASK_ID, value: null, headers: record.headers })).toThrow(/has no value/);
  });
});
