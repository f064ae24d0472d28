// docs/asyncapi.yaml is the contract downstream consumers read: it must be a
// valid AsyncAPI 3.0 document and describe the topics and messages the code
// really uses.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, DiagnosticSeverity, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import type { DescMessage } from '@bufbuild/protobuf';
import { TOPICS, TOPIC_POLICIES, proto, type TopicRole } from '@tasklog/contracts';

const PATH = join(import.meta.dirname, '..', '..', '..', 'docs', 'asyncapi.yaml');

interface ChannelJson {
  address: string;
  bindings: { kafka: { partitions: number; topicConfiguration: Record<string, unknown> } };
}

interface SchemaJson {
  'x-protobuf-message'?: string;
  properties?: Record<string, unknown>;
}

let document: AsyncAPIDocumentInterface;
let raw: { channels: Record<string, ChannelJson>; components: { schemas: Record<string, SchemaJson> } };

beforeAll(async () => {
  const { document: parsed, diagnostics } = await new Parser().parse(readFileSync(PATH, 'utf8'), { source: PATH });
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
  document = parsed!;
  raw = document.json() as unknown as typeof raw;
});

function isMessageDesc(value: unknown): value is DescMessage {
  return typeof value === 'object' && value !== null && (value as DescMessage).kind === 'message';
}

describe('docs/asyncapi.yaml', () => {
  it('is a valid AsyncAPI 3.0 document', () => {
    expect(document.version()).toBe('3.0.0');
  });

  it('has a channel for every topic, with the policy the platform provisions', () => {
    const channels = Object.values(raw.channels);
    const roles: TopicRole[] = [...(Object.keys(TOPICS) as (keyof typeof TOPICS)[]), 'dlq'];
    for (const role of roles) {
      const address = role === 'dlq' ? 'tasklog.{consumer}.dlq.v1' : TOPICS[role];
      const channel = channels.find((c) => c.address === address);
      expect(channel).toBeDefined();
      const documented = channel!.bindings.kafka.topicConfiguration;
      const policy = TOPIC_POLICIES[role];
      expect(documented['cleanup.policy']).toEqual([policy['cleanup.policy']]);
      for (const name of ['retention.ms', 'retention.bytes'] as const) {
        if (policy[name] !== undefined) expect(documented[name]).toBe(Number(policy[name]));
      }
    }
  });

  it('says how to read the transactional topics', () => {
    expect(document.info().description()).toContain('read_committed');
  });

  it('describes every protobuf message field by field', () => {
    const messages = (Object.values(proto) as unknown[]).filter(isMessageDesc);
    const byName = new Map(messages.map((desc) => [desc.typeName, desc] as const));
    const documented = Object.entries(raw.components.schemas).filter(([, schema]) => schema['x-protobuf-message']);
    for (const [name, schema] of documented) {
      const desc = byName.get(schema['x-protobuf-message']!);
      expect({ name, fields: Object.keys(schema.properties ?? {}).sort() }).toEqual({
        name,
        fields: desc!.fields.map((field) => field.jsonName).sort(),
      });
    }
    const covered = new Set(documented.map(([, schema]) => schema['x-protobuf-message']));
    const undocumented = messages.filter((desc) => desc.fields.length > 0 && !covered.has(desc.typeName));
    expect(undocumented.map((desc) => desc.typeName)).toEqual([]);
  });
});
