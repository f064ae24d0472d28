import { describe, expect, it } from '@jest/globals';
import {
  CloudEventHeaderError,
  ContractEncodingError,
  buildCloudEventHeaders,
  parseCloudEventHeaders,
  type CloudEventInput,
} from '@tasklog/contracts';

const input: CloudEventInput = {
  id: 'evt-1',
  type: 'tasklog.task.created.v2',
  source: '/tasklog/command-processor',
  time: '2026-01-10T09:00:00.000Z',
  subject: 'task-1',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  correlationId: 'corr-1',
  causationId: 'cmd-1',
};

const headers = buildCloudEventHeaders(input);

describe('CloudEvents Kafka headers', () => {
  it('builds binary-mode headers', () => {
    expect(headers).toEqual({
      ce_id: 'evt-1',
      ce_type: 'tasklog.task.created.v2',
      ce_source: '/tasklog/command-processor',
      ce_time: '2026-01-10T09:00:00.000Z',
      ce_specversion: '1.0',
      ce_subject: 'task-1',
      'content-type': 'application/protobuf',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'correlation-id': 'corr-1',
      'causation-id': 'cmd-1',
    });
  });

  it('leaves out optional headers that are not given', () => {
    const minimal = buildCloudEventHeaders({
      ...input,
      traceparent: undefined,
      correlationId: undefined,
      causationId: undefined,
    });
    expect(Object.keys(minimal).sort()).toEqual(
      ['ce_id', 'ce_source', 'ce_specversion', 'ce_subject', 'ce_time', 'ce_type', 'content-type'].sort(),
    );
  });

  it('parses what it builds, from strings or from Buffers as kafkajs delivers them', () => {
    const buffers = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));
    const expected = { ...input, specversion: '1.0', datacontenttype: 'application/protobuf' };
    expect(parseCloudEventHeaders(headers)).toEqual(expected);
    expect(parseCloudEventHeaders(buffers)).toEqual(expected);
  });

  it('accepts a single-element array and ignores unrelated headers', () => {
    const parsed = parseCloudEventHeaders({ ...headers, ce_id: [Buffer.from('evt-9')], other: undefined, x: 'y' });
    expect(parsed.id).toBe('evt-9');
  });

  it('normalizes ce_time to the canonical instant', () => {
    expect(parseCloudEventHeaders({ ...headers, ce_time: '2026-01-10T10:00:00+01:00' }).time).toBe(
      '2026-01-10T09:00:00.000Z',
    );
  });

  it('names every missing header', () => {
    const { ce_id: _id, ce_subject: _subject, ...rest } = headers;
    expect(() => parseCloudEventHeaders(rest)).toThrow(
      new CloudEventHeaderError('missing CloudEvents header(s): ce_id, ce_subject'),
    );
    expect(() => parseCloudEventHeaders(undefined)).toThrow(CloudEventHeaderError);
  });

  it.each([
    ['a wrong spec version', { ce_specversion: '0.3' }, /ce_specversion must be 1.0/],
    ['a missing spec version', { ce_specversion: undefined }, /ce_specversion must be 1.0/],
    ['a time that is not RFC 3339', { ce_time: 'yesterday' }, /ce_time is not an RFC 3339 instant/],
    ['a malformed traceparent', { traceparent: 'abc' }, /traceparent is not W3C trace context/],
    ['a repeated header', { ce_type: ['a', 'b'] }, /header ce_type appears 2 times/],
  ])('refuses %s', (_, override, message) => {
    expect(() => parseCloudEventHeaders({ ...headers, ...override })).toThrow(message);
  });

  it('refuses to build headers with empty attributes or a bad time', () => {
    expect(() => buildCloudEventHeaders({ ...input, id: '', time: 'now' })).toThrow(ContractEncodingError);
    expect(() => buildCloudEventHeaders({ ...input, subject: '' })).toThrow(/ce_subject is empty/);
  });
});
