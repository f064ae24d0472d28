// CloudEvents 1.0 Kafka protocol binding, binary content mode: the event
// attributes travel as ce_* headers and the record value is the protobuf
// payload. Built and parsed here only, so every producer and consumer
// agrees on names and rules. W3C trace context and the correlation and
// causation ids ride along as plain headers.
import { parseInstant } from '@tasklog/domain';
import { CloudEventHeaderError, ContractEncodingError } from '../common/contract.errors.js';

export const CE_SPEC_VERSION = '1.0';
export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';

export const HEADER = {
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  specversion: 'ce_specversion',
  subject: 'ce_subject',
  datacontenttype: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
} as const;

export interface CloudEventAttributes {
  readonly id: string;
  /** e.g. tasklog.task.created.v2 */
  readonly type: string;
  /** URI reference of the producing app, e.g. /tasklog/command-processor */
  readonly source: string;
  /** RFC 3339 instant */
  readonly time: string;
  /** The task id. */
  readonly subject: string;
  readonly specversion: typeof CE_SPEC_VERSION;
  readonly datacontenttype: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly correlationId?: string;
  /** The command id that led to this record. */
  readonly causationId?: string;
}

export type CloudEventInput = Omit<CloudEventAttributes, 'specversion' | 'datacontenttype'> & {
  readonly datacontenttype?: string;
};

/** Header values as kafkajs hands them to consumers. */
export type KafkaHeaderValue =
  Buffer | Uint8Array | string | null | undefined | ReadonlyArray<Buffer | Uint8Array | string>;
export type KafkaHeadersLike = Readonly<Record<string, KafkaHeaderValue>>;

const REQUIRED = ['id', 'type', 'source', 'time', 'subject'] as const;
const OPTIONAL = ['traceparent', 'tracestate', 'correlationId', 'causationId'] as const;
const OPTIONAL_AFTER_TRACEPARENT = OPTIONAL.slice(1) as ReadonlyArray<
  Exclude<(typeof OPTIONAL)[number], 'traceparent'>
>;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function buildCloudEventHeaders(input: CloudEventInput): Record<string, string> {
  // One pass, no intermediate arrays: this runs for every record the
  // platform writes (three per command in the processor).
  let problems: string[] | null = null;
  for (const name of REQUIRED) {
    if (typeof input[name] !== 'string' || input[name] === '') (problems ??= []).push(`${HEADER[name]} is empty`);
  }
  const time = typeof input.time === 'string' ? parseInstant(input.time) : null;
  if (typeof input.time === 'string' && time === null) (problems ??= []).push(`${HEADER.time} is not RFC 3339`);
  if (problems !== null) throw new ContractEncodingError(`cannot build CloudEvents headers: ${problems.join(', ')}`);
  const headers: Record<string, string> = {
    [HEADER.specversion]: CE_SPEC_VERSION,
    [HEADER.datacontenttype]: input.datacontenttype ?? PROTOBUF_CONTENT_TYPE,
    [HEADER.id]: input.id,
    [HEADER.type]: input.type,
    [HEADER.source]: input.source,
    [HEADER.time]: time!,
    [HEADER.subject]: input.subject,
  };
  for (const name of OPTIONAL) {
    const value = input[name];
    if (value !== undefined && value !== '') headers[HEADER[name]] = value;
  }
  return headers;
}

export function parseCloudEventHeaders(headers: KafkaHeadersLike | undefined): CloudEventAttributes {
  // Each header decoded once, into locals: this runs for every record every
  // consumer reads.
  const h = headers ?? {};
  const required = {
    id: headerText(h, HEADER.id),
    type: headerText(h, HEADER.type),
    source: headerText(h, HEADER.source),
    time: headerText(h, HEADER.time),
    subject: headerText(h, HEADER.subject),
  };
  const missing = REQUIRED.filter((name) => !required[name]);
  if (missing.length > 0) {
    throw new CloudEventHeaderError(`missing CloudEvents header(s): ${missing.map((name) => HEADER[name]).join(', ')}`);
  }
  const specversion = headerText(h, HEADER.specversion);
  if (specversion !== CE_SPEC_VERSION) {
    throw new CloudEventHeaderError(`${HEADER.specversion} must be ${CE_SPEC_VERSION}, got ${String(specversion)}`);
  }
  const time = required.time!;
  const canonicalTime = parseInstant(time);
  if (canonicalTime === null) throw new CloudEventHeaderError(`${HEADER.time} is not an RFC 3339 instant: ${time}`);
  const traceparent = headerText(h, HEADER.traceparent);
  if (traceparent !== undefined && !TRACEPARENT.test(traceparent)) {
    throw new CloudEventHeaderError(`${HEADER.traceparent} is not W3C trace context: ${traceparent}`);
  }
  const attributes: Record<string, string> = {
    specversion,
    datacontenttype: headerText(h, HEADER.datacontenttype) ?? PROTOBUF_CONTENT_TYPE,
    id: required.id!,
    type: required.type!,
    source: required.source!,
    time: canonicalTime,
    subject: required.subject!,
  };
  if (traceparent !== undefined) attributes['traceparent'] = traceparent;
  for (const name of OPTIONAL_AFTER_TRACEPARENT) {
    const value = headerText(h, HEADER[name]);
    if (value !== undefined) attributes[name] = value;
  }
  return attributes as unknown as CloudEventAttributes;
}

/** The text of a single-valued header; a repeated header is an error. */
export function headerText(headers: KafkaHeadersLike, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    if (value.length > 1) throw new CloudEventHeaderError(`header ${name} appears ${value.length} times`);
    return headerText({ [name]: value[0] }, name);
  }
  return Buffer.isBuffer(value) ? value.toString('utf8') : Buffer.from(value as Uint8Array).toString('utf8');
}
