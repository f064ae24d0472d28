import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { toBinary, create } from '@bufbuild/protobuf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ContractDecodingError,
  decodeStoredTaskEvent,
  decodeTaskEvent,
  encodeTaskEvent,
  proto,
  upcastTaskEvent,
  type TaskEventUpcaster,
} from '@tasklog/contracts';
import { foldTask, type EventMetadata } from '@tasklog/domain';
import { arbEvent, arbId, arbInstant, events } from '@tasklog/testing';

const arbMetadata: fc.Arbitrary<EventMetadata> = fc
  .record({
    eventId: arbId,
    taskId: fc.constant('01936f2e-8c4b-7d2a-9e1f-3a5b7c9d1e2f'),
    version: fc.integer({ min: 1, max: 100_000 }),
    recordedAt: arbInstant,
    actorId: fc.string({ minLength: 1 }),
    causationId: arbId,
    correlationId: fc.option(arbId, { nil: undefined }),
  })
  .map(({ correlationId, ...rest }) => (correlationId === undefined ? rest : { ...rest, correlationId }));

// Written by a v1 producer (TaskCreated before status/category/tags existed)
// and kept as bytes: the decoder must read it for as long as the log lives.
const STORED_V1 = Buffer.from(
  readFileSync(join(import.meta.dirname, 'fixtures', 'task-created-v1.envelope.hex'), 'utf8').trim(),
  'hex',
);

describe('task event codec', () => {
  it('(2) round-trips every event with random payloads', () => {
    fc.assert(
      fc.property(arbEvent(), arbMetadata, (event, metadata) => {
        const decoded = decodeTaskEvent(encodeTaskEvent({ event, metadata }));
        // structuredClone: fast-check builds null-prototype records.
        expect(decoded).toStrictEqual(structuredClone({ event, metadata }));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps "cleared" apart from "unchanged" in TaskDetailsUpdated', () => {
    const metadata = {
      eventId: 'e',
      taskId: 't',
      version: 2,
      recordedAt: '2026-01-01T00:00:00.000Z',
      actorId: 'a',
      causationId: 'c',
    };
    for (const changes of [
      { dueDate: null },
      { warningOffset: 0 },
      { category: null, tags: [] },
      { description: '' },
      {},
    ]) {
      const event = events.detailsUpdated(changes);
      expect(decodeTaskEvent(encodeTaskEvent({ event, metadata })).event).toStrictEqual(event);
    }
  });

  describe('schema evolution', () => {
    it('reads a stored TaskCreated v1 as written', () => {
      const { event, metadata } = decodeStoredTaskEvent(STORED_V1);
      expect(event).toEqual({
        type: 'TaskCreated',
        schemaVersion: 1,
        data: {
          taskId: '0193a1b2-0000-7000-8000-0000000000aa',
          ownerId: 'user-42',
          title: 'Renew passport',
          description: 'Before the trip',
          dueDate: '2025-07-01T09:00:00.000Z',
          warningOffset: 1440,
          createdAt: '2025-06-01T08:00:00.000Z',
        },
      });
      expect(metadata).toMatchObject({ version: 1, causationId: 'cmd-1' });
    });

    it('upcasts a stored TaskCreated v1 to the current v2 shape', () => {
      const { event } = decodeTaskEvent(STORED_V1);
      expect(event).toEqual({
        type: 'TaskCreated',
        schemaVersion: 2,
        data: {
          taskId: '0193a1b2-0000-7000-8000-0000000000aa',
          ownerId: 'user-42',
          title: 'Renew passport',
          description: 'Before the trip',
          status: 'NOT_STARTED',
          dueDate: '2025-07-01T09:00:00.000Z',
          warningOffset: 1440,
          category: null,
          tags: [],
          createdAt: '2025-06-01T08:00:00.000Z',
        },
      });
      expect(foldTask([event])).toMatchObject({ status: 'NOT_STARTED', version: 1 });
    });

    it('fails clearly when no upcaster covers a stored version', () => {
      expect(() => decodeTaskEvent(STORED_V1, [])).toThrow(/no upcaster takes TaskCreated from v1 towards v2/);
    });

    it('refuses an upcaster that skips or repeats a version', () => {
      const broken: TaskEventUpcaster = { eventType: 'TaskCreated', fromVersion: 1, upcast: (event) => event };
      expect(() => upcastTaskEvent(decodeStoredTaskEvent(STORED_V1).event, [broken])).toThrow(ContractDecodingError);
    });
  });

  it('rejects bytes that are not an envelope', () => {
    expect(() => decodeTaskEvent(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow(ContractDecodingError);
  });

  it('rejects an envelope without metadata or without an event', () => {
    const noMetadata = toBinary(proto.TaskEventEnvelopeSchema, create(proto.TaskEventEnvelopeSchema));
    expect(() => decodeTaskEvent(noMetadata)).toThrow(/no metadata/);
    const noEvent = create(proto.TaskEventEnvelopeSchema, { metadata: { eventId: 'e', recordedAt: { seconds: 0n } } });
    expect(() => decodeTaskEvent(toBinary(proto.TaskEventEnvelopeSchema, noEvent))).toThrow(/no known event/);
  });

  it('rejects an event with a missing timestamp or an unspecified status', () => {
    const metadata = {
      eventId: 'e',
      taskId: 't',
      version: 1,
      recordedAt: { seconds: 0n },
      actorId: 'a',
      causationId: 'c',
    };
    const noTime = create(proto.TaskEventEnvelopeSchema, {
      metadata,
      event: { case: 'taskDeleted', value: { taskId: 't' } },
    });
    expect(() => decodeTaskEvent(toBinary(proto.TaskEventEnvelopeSchema, noTime))).toThrow(/deletedAt is missing/);
    const noStatus = create(proto.TaskEventEnvelopeSchema, {
      metadata,
      event: { case: 'taskCompleted', value: { taskId: 't', completedAt: { seconds: 0n } } },
    });
    expect(() => decodeTaskEvent(toBinary(proto.TaskEventEnvelopeSchema, noStatus))).toThrow(/no valid task status/);
  });
});
