// `tasklog consumers reset <group> --to-earliest | --to-time <ISO> | --to-offsets <file> [--topic t] [--dry-run]`:
// moves a downstream consumer group's committed offsets, e.g. to let a team
// re-read the event log. Refused while the group has live members: their
// next commit would silently undo the move.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type kafkajs from 'kafkajs';
import { kafkaSection, type EnvSource } from '@tasklog/platform/config';
import { createKafka } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import { print, type CliCommand } from './cli-command.js';

type Target = { kind: 'earliest' } | { kind: 'time'; at: number } | { kind: 'offsets'; file: string };
type Plan = { topic: string; partition: number; from: string; to: string }[];

export class ConsumersResetError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ConsumersResetError';
  }
}

function parseTarget(values: { 'to-earliest'?: boolean; 'to-time'?: string; 'to-offsets'?: string }): Target {
  const chosen = [values['to-earliest'], values['to-time'], values['to-offsets']].filter(
    (v) => v !== undefined && v !== false,
  );
  if (chosen.length !== 1)
    throw new ConsumersResetError('choose exactly one of --to-earliest, --to-time <ISO>, --to-offsets <file>', 2);
  if (values['to-earliest']) return { kind: 'earliest' };
  if (values['to-time'] !== undefined) {
    const at = Date.parse(values['to-time']);
    if (Number.isNaN(at)) throw new ConsumersResetError(`--to-time: not an ISO 8601 instant: ${values['to-time']}`, 2);
    return { kind: 'time', at };
  }
  return { kind: 'offsets', file: values['to-offsets']! };
}

async function targetOffsets(
  admin: kafkajs.Admin,
  topic: string,
  target: Target,
  file?: Record<string, Record<string, string | number>>,
) {
  if (target.kind === 'earliest') {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.low]));
  }
  if (target.kind === 'time') {
    return new Map((await admin.fetchTopicOffsetsByTimestamp(topic, target.at)).map((o) => [o.partition, o.offset]));
  }
  const wanted = file?.[topic] ?? {};
  return new Map(Object.entries(wanted).map(([p, o]) => [Number(p), String(o)]));
}

/** Plans (and unless dryRun, applies) the reset; exported for the integration test. */
export async function resetConsumerGroup(
  admin: kafkajs.Admin,
  groupId: string,
  target: Target,
  options: { topics?: string[]; dryRun?: boolean } = {},
): Promise<Plan> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  if (group && group.members.length > 0) {
    throw new ConsumersResetError(
      `group ${groupId} has ${group.members.length} live member(s) (state ${group.state}); stop its consumers first`,
      3,
    );
  }
  const committed = await admin.fetchOffsets({ groupId, ...(options.topics ? { topics: options.topics } : {}) });
  const file = target.kind === 'offsets' ? JSON.parse(await readFile(target.file, 'utf8')) : undefined;
  const plan: Plan = [];
  for (const { topic, partitions } of committed) {
    const to = await targetOffsets(admin, topic, target, file);
    for (const { partition, offset } of partitions) {
      const next = to.get(partition);
      if (next !== undefined) plan.push({ topic, partition, from: offset, to: String(next) });
    }
  }
  if (!options.dryRun) {
    for (const topic of new Set(plan.map((p) => p.topic))) {
      const partitions = plan.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition, offset: p.to }));
      await admin.setOffsets({ groupId, topic, partitions });
    }
  }
  return plan;
}

export const consumersResetCommand: CliCommand = {
  name: 'consumers reset',
  summary:
    'move a consumer group: <group> --to-earliest | --to-time <ISO> | --to-offsets <file.json> [--topic t] [--dry-run]',
  async run(args: string[], env: EnvSource) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'to-earliest': { type: 'boolean' },
        'to-time': { type: 'string' },
        'to-offsets': { type: 'string' },
        topic: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean', default: false },
      },
    });
    const groupId = positionals[0];
    if (!groupId)
      throw new ConsumersResetError(
        'usage: tasklog consumers reset <group> --to-earliest|--to-time <ISO>|--to-offsets <file>',
        2,
      );
    const admin = createKafka(kafkaSection(env), createLogger('cli', 'warn')).admin();
    await admin.connect();
    try {
      const plan = await resetConsumerGroup(admin, groupId, parseTarget(values), {
        ...(values.topic ? { topics: values.topic } : {}),
        dryRun: values['dry-run'],
      });
      for (const p of plan) print(`${p.topic} [${p.partition}]  ${p.from} → ${p.to}`);
      print(`${values['dry-run'] ? 'dry run: would move' : 'moved'} ${plan.length} partition(s) of group ${groupId}`);
      return 0;
    } catch (error) {
      if (error instanceof ConsumersResetError) {
        process.stderr.write(`tasklog: ${error.message}\n`);
        return error.exitCode;
      }
      throw error;
    } finally {
      await admin.disconnect();
    }
  },
};
