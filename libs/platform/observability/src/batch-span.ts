// Traces through Kafka (DESIGN.md §7): a consumer that processes a batch of
// records together wraps the work in one "process" span, after
// OpenTelemetry's messaging conventions. The span links to the trace context
// each record carries in its `traceparent` header. A batch of one record is
// also the child of that context, so a lone command or event shows up inside
// the trace of the request that caused it. Nothing here runs, not even the
// header parsing, unless this process started tracing (ADR 0061).
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  trace,
  type Attributes,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

let active = false;

/** Set by startTracing: whether this process exports spans. */
export function setTracingActive(on: boolean): void {
  active = on;
}

export function tracingActive(): boolean {
  return active;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZEROS = /^0+$/;

/** The remote span context a W3C `traceparent` header names; undefined when it names none. */
export function spanContextOf(traceparent: unknown): SpanContext | undefined {
  const text = Array.isArray(traceparent) ? traceparent[0] : traceparent;
  if (typeof text !== 'string') return undefined;
  const match = TRACEPARENT.exec(text);
  if (match === null || ALL_ZEROS.test(match[1]!) || ALL_ZEROS.test(match[2]!)) return undefined;
  return {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/** A span links to at most this many records' contexts (a batch holds up to thousands). */
export const MAX_LINKS = 128;

export interface BatchSpanOptions {
  /** The tracer's name: the app, e.g. tasklog-command-processor. */
  readonly tracer: string;
  readonly topic: string;
  /** The partition, when the batch is one partition's. */
  readonly partition?: number;
  readonly consumerGroup?: string;
  /** The batch's records (read only when tracing is on). */
  readonly records: () => Iterable<{ readonly headers: Readonly<Record<string, unknown>> }>;
  readonly attributes?: Attributes;
}

/**
 * Runs `work` inside a CONSUMER span named `process <topic>`, ended when the
 * work settles (status ERROR with the exception when it throws). `work` gets
 * the span to add what it learns (counts, outcomes), or undefined when
 * tracing is off.
 */
export async function inBatchSpan<T>(
  options: BatchSpanOptions,
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!active) return work(undefined);
  const links: Link[] = [];
  let count = 0;
  for (const record of options.records()) {
    count++;
    if (links.length >= MAX_LINKS) continue;
    const linked = spanContextOf(record.headers['traceparent']);
    if (linked !== undefined) links.push({ context: linked });
  }
  const parent =
    count === 1 && links.length === 1 ? trace.setSpanContext(context.active(), links[0]!.context) : context.active();
  const span = trace.getTracer(options.tracer).startSpan(
    `process ${options.topic}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': options.topic,
        'messaging.batch.message_count': count,
        ...(options.partition !== undefined ? { 'messaging.destination.partition.id': String(options.partition) } : {}),
        ...(options.consumerGroup !== undefined ? { 'messaging.consumer.group.name': options.consumerGroup } : {}),
        ...options.attributes,
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
