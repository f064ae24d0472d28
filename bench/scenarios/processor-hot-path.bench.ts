// The command processor's work per command without Kafka, in this process:
// decode the command records, decide through the CQRS handler, fold, build
// the event and result records and write them as record batches, the work a
// processor thread does between a fetch and its transaction's requests. The
// end-to-end processor bench swings with the host by ±30 %; this one swings
// less (the host's noise still moves it by ±10 %: compare alternated runs).
import { randomUUID } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import type { CommandBus } from '@nestjs/cqrs';
import { taskCommandRecord, type KafkaRecord } from '@tasklog/contracts';
import type { TaskCommand } from '@tasklog/domain';
import { LogRecord } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import { decideBatch } from '../../apps/command-processor/src/batch.decider.js';
import { DecideTaskHandler, type DecideTask } from '../../apps/command-processor/src/decide-task.command.js';
import { PartitionState } from '../../apps/command-processor/src/partition-state.js';
import { encodeRecordBatch } from '../../libs/platform/kafka/src/wire/record-batch.writer.js';
import type { BenchRow, BenchScenario } from '../bench.harness.js';

const PER_TASK = 10;
const BATCH = 500;
const ROUNDS = 7;
const T0 = Date.UTC(2026, 0, 1);

/** Each task's commands as its partition reads them: a CreateTask, then updates of its title. */
function commandLog(tasks: number): LogRecord[] {
  const ids = Array.from({ length: tasks }, () => randomUUID());
  const records: KafkaRecord[] = [];
  const metadata = (taskId: string, n: number) => ({
    commandId: randomUUID(),
    taskId,
    actorId: 'bench-user',
    issuedAt: new Date(T0 + n * 1000).toISOString(),
  });
  for (const id of ids)
    records.push(
      taskCommandRecord(
        { type: 'CreateTask', data: { ownerId: 'bench-user', title: 'bench' }, metadata: metadata(id, 0) },
        { source: '/bench' },
      ),
    );
  for (let round = 1; round < PER_TASK; round++)
    for (const id of ids) {
      const command: TaskCommand = {
        type: 'UpdateTaskDetails',
        data: { changes: { title: `bench ${round}` } },
        metadata: metadata(id, round),
      };
      records.push(taskCommandRecord(command, { source: '/bench' }));
    }
  return records.map((r, i) => new LogRecord(r.key, r.value, r.headers, BigInt(i), T0, 0));
}

interface Round {
  readonly cpuMicros: number;
  readonly wallMs: number;
  readonly gcMs: number;
  readonly bytes: number;
}

/** One partition's whole log, decided and written in batches of BATCH, as one processor pipeline does. */
async function round(log: readonly LogRecord[]): Promise<Round> {
  const handler = new DecideTaskHandler();
  const commandBus = { execute: (command: DecideTask) => handler.execute(command) } as unknown as CommandBus;
  const deps = { commandBus, logger: createLogger('bench', 'warn') };
  const state = new PartitionState(0, 0n, 8);
  const producer = { producerId: 1n, epoch: 0 };
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  let bytes = 0;
  let sequence = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let start = 0; start < log.length; start += BATCH) {
    const decided = await decideBatch(log.slice(start, start + BATCH), state, deps);
    if (decided.events.length > 0) decided.assignOffsets(state.logEnd);
    state.logEnd += BigInt(decided.events.length + 1);
    for (const records of [decided.events, decided.results()]) {
      if (records.length === 0) continue;
      bytes += encodeRecordBatch(records, producer, sequence, Date.now()).length;
      sequence += records.length;
    }
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  // The observer's entries arrive in later turns of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc.disconnect();
  return { cpuMicros: used.user + used.system, wallMs, gcMs, bytes };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const processorHotPathBench: BenchScenario = {
  name: 'processor-hot-path',
  summary: "the processor's CPU per command without Kafka: decode, decide, fold, encode the records (in-process)",
  async run({ scale }): Promise<BenchRow[]> {
    const tasks = Math.max(100, Math.round(10_000 * scale));
    const log = commandLog(tasks);
    await round(log.slice(0, Math.min(log.length, 20_000))); // warm-up: JIT
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(log));
    const per = (total: number) => +(total / log.length).toFixed(2);
    return [
      {
        metric: 'CPU per command, median of rounds',
        value: per(median(rounds.map((r) => r.cpuMicros))),
        unit: 'µs',
        note: `${ROUNDS} rounds of ${log.length} commands (${tasks} tasks × ${PER_TASK}), batches of ${BATCH}; rounds ${rounds.map((r) => per(r.cpuMicros)).join(', ')}`,
      },
      {
        metric: 'wall time per command, median',
        value: per(median(rounds.map((r) => r.wallMs * 1000))),
        unit: 'µs',
      },
      {
        metric: 'GC pauses per command, median',
        value: per(median(rounds.map((r) => r.gcMs * 1000))),
        unit: 'µs',
        note: 'PerformanceObserver gc entries (the main thread waits for them)',
      },
      {
        metric: 'record-batch bytes per command',
        value: per(rounds[0]!.bytes),
        unit: 'bytes',
        note: 'events and results',
      },
    ];
  },
};
