import { describe, expect, it } from '@jest/globals';
import { deadLetterRecord } from './dead-letter.record.js';

describe('deadLetterRecord', () => {
  const message = {
    key: Buffer.from('task-1'),
    value: Buffer.from([1, 2, 3]),
    offset: '42',
    headers: { ce_id: Buffer.from('c-1'), repeated: [Buffer.from('first'), Buffer.from('second')], empty: undefined },
  };

  it('keeps the original key, value and headers and says why, where and who', () => {
    const error = new TypeError('bad varint');
    const record = deadLetterRecord(message, { partition: 3, consumer: 'projector', reason: 'undecodable', error });
    expect(record.key).toEqual(Buffer.from('task-1'));
    expect(record.value).toEqual(Buffer.from([1, 2, 3]));
    expect(record.headers).toMatchObject({
      ce_id: 'c-1',
      repeated: 'first',
      'dlq-reason': 'undecodable: bad varint',
      'dlq-error-class': 'TypeError',
      'dlq-original-partition': '3',
      'dlq-original-offset': '42',
      'dlq-consumer': 'projector',
    });
    expect(record.headers).not.toHaveProperty('empty');
    expect(Date.parse(record.headers['dlq-failed-at']!)).not.toBeNaN();
  });

  it('takes the bare error message when no reason is given, and non-errors as text', () => {
    const record = deadLetterRecord(message, { partition: 0, consumer: 'command-processor', error: 'boom' });
    expect(record.headers['dlq-reason']).toBe('boom');
    expect(record.headers['dlq-error-class']).toBe('Error');
  });
});
