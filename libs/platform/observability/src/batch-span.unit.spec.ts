import { describe, expect, it } from '@jest/globals';
import { TraceFlags } from '@opentelemetry/api';
import { inBatchSpan, spanContextOf, tracingActive } from './batch-span.js';

describe('spanContextOf', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanId = '00f067aa0ba902b7';

  it('reads a W3C traceparent as a remote span context, sampled or not', () => {
    expect(spanContextOf(`00-${traceId}-${spanId}-01`)).toEqual({
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(spanContextOf(`00-${traceId}-${spanId}-00`)?.traceFlags).toBe(TraceFlags.NONE);
    // Kafka headers may repeat: the first value counts.
    expect(spanContextOf([`00-${traceId}-${spanId}-01`, 'garbage'])?.spanId).toBe(spanId);
  });

  it('names no context for missing, malformed or all-zero ids', () => {
    for (const value of [
      undefined,
      null,
      '',
      'garbage',
      `01-${traceId}-${spanId}-01`,
      `00-${traceId.toUpperCase()}-${spanId}-01`,
      `00-${'0'.repeat(32)}-${spanId}-01`,
      `00-${traceId}-${'0'.repeat(16)}-01`,
      `00-${traceId}-${spanId}-01-extra`,
    ])
      expect(spanContextOf(value)).toBeUndefined();
  });
});

describe('inBatchSpan without tracing', () => {
  it('runs the work with no span and never reads the records', async () => {
    expect(tracingActive()).toBe(false);
    let read = false;
    const result = await inBatchSpan(
      {
        tracer: 'test',
        topic: 'topic',
        records: () => {
          read = true;
          return [];
        },
      },
      async (span) => (span === undefined ? 'no span' : 'span'),
    );
    expect(result).toBe('no span');
    expect(read).toBe(false);
  });

  it('passes the work’s error on', async () => {
    await expect(
      inBatchSpan({ tracer: 'test', topic: 'topic', records: () => [] }, () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
  });
});
