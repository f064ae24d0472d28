// HTTP commands end to end on loopback: POST /api/v1/tasks through the API
// (JWT auth, validation, produce acks=all, wait for the outcome), the
// command processor and the event log, with the projector consuming the
// events, each app a process of its own from dist/. An open-loop generator
// (./http-load.ts, ADR 0058) drives the API at fixed rates, requests evenly
// spaced and latency counted from the instant each was due; a closed loop of
// many connections finds the maximum. Beside the figures, the raw
// idempotent-producer rate of the same broker in the same run.
import type { BenchRow, BenchScenario } from '../bench.harness.js';
import { closedLoop, openLoop, sortedPercentile, type LoadResult } from './http-load.js';
import { measureRawProducer } from './kafka-producer.bench.js';
import { cpuMicrosPerRequest, cpuTicks, cpuUse, startStack, type Stack } from './http-commands.stack.js';
import { benchSettings } from '../bench.settings.js';

export const httpCommandsBench: BenchScenario = {
  name: 'http-commands',
  summary:
    'HTTP commands/s end to end (API + Kafka + processor, projector running): open loop at fixed rates, closed loop at max',
  async run({ scale }): Promise<BenchRow[]> {
    const seconds = Math.max(3, Math.round(10 * scale));
    const raw = await measureRawProducer(Math.round(100_000 * scale));
    const stack = await startStack();
    try {
      const rows: BenchRow[] = [
        { metric: 'raw idempotent producer rate', value: raw, unit: 'records/s', note: 'same broker, same run' },
        { metric: 'projector running', value: stack.projector ? 1 : 0, unit: 'bool' },
      ];
      await fire(stack, { rate: 300, seconds: 3, connections: 64 }); // warm-up: JIT, connections, partition writers
      if (wanted('fixed'))
        for (const rate of benchSettings().httpRates)
          rows.push(...(await step(stack, `${rate}/s`, fixedRate(rate, seconds))));
      if (wanted('max') || wanted('half')) {
        const max = await step(stack, 'max', { seconds, connections: MAX_CONNECTIONS });
        rows.push(...max);
        const maxRate = max.find((r) => r.metric.startsWith('max: throughput'))!.value;
        const half = Math.max(50, Math.round(maxRate / 2));
        if (wanted('half'))
          rows.push(...(await step(stack, `half max (${half}/s)`, fixedRate(half, seconds), '≤ 25 ms')));
      }
      // The API and Kafka alone: answered at the acknowledgment, the processor decides later.
      if (wanted('async'))
        rows.push(...(await step(stack, 'max, Prefer: respond-async', { seconds, connections: 256, async: true })));
      return rows;
    } finally {
      await stack.stop();
    }
  },
};

// BENCH_HTTP_STEPS=max,async (any of fixed, max, half, async) runs only those
// steps, e.g. for a CPU profile of one load; all of them by default.
const wanted = (step: string): boolean => {
  const only = benchSettings().httpSteps;
  return only === null || only.includes(step);
};

// The maximum is the closed-loop rate of many connections. A fixed rate opens
// as many connections as it has requests in flight, up to 1,024; beyond that
// its requests wait in the generator's queue, their wait on the clock.
const MAX_CONNECTIONS = 512;
const fixedRate = (rate: number, seconds: number): Load => ({ rate, seconds, connections: 1024 });

interface Load {
  /** Open loop at this rate; closed loop over `connections` without it. */
  readonly rate?: number;
  readonly seconds: number;
  readonly connections: number;
  /** Prefer: respond-async: 202 once Kafka acknowledged, without waiting for the processor. */
  readonly async?: boolean;
}

async function step(stack: Stack, label: string, load: Load, p99Target?: string): Promise<BenchRow[]> {
  await settle(stack);
  const before = await commandCounts(stack);
  const cpuBefore = await cpuTicks(stack);
  const result = await fire(stack, load);
  const cpuAfter = await cpuTicks(stack);
  const cpu = cpuUse(cpuBefore, cpuAfter);
  const perRequest = (app: string) => cpuMicrosPerRequest(cpuBefore, cpuAfter, app, result.answered);
  const after = await commandCounts(stack);
  const delta = (outcome: string) => (after.get(outcome) ?? 0) - (before.get(outcome) ?? 0);
  const throughput = Math.round(result.answered / result.duration);
  const sorted = result.latencies.sort();
  const at = (p: number) => +sortedPercentile(sorted, p).toFixed(1);
  const statuses = [...result.statuses.entries()].sort(([a], [b]) => a - b);
  const errors = statuses.filter(([status]) => status >= 400).reduce((sum, [, n]) => sum + n, 0);
  const mean = (name: string) => +((delta(`${name}_sum`) / Math.max(1, delta(`${name}_count`))) * 1000).toFixed(2);
  return [
    {
      metric: `${label}: throughput`,
      value: throughput,
      unit: 'commands/s',
      ...(label === 'max' ? { target: '≥ 5,000' } : {}),
      note: `${result.answered} answers in ${result.duration.toFixed(1)} s, ${result.connections} connections${load.rate ? ` (open loop, ${load.rate}/s offered)` : ' (closed loop)'}`,
    },
    {
      metric: `${label}: p50 latency`,
      value: at(50),
      unit: 'ms',
      note: `p90 ${at(90)} ms, max ${at(100)} ms${load.rate ? ', from the instant each request was due' : ''}`,
    },
    {
      metric: `${label}: p99 latency`,
      value: at(99),
      unit: 'ms',
      ...(p99Target ? { target: p99Target } : {}),
    },
    {
      metric: `${label}: answered with the outcome (201)`,
      value: delta('accepted'),
      unit: 'commands',
      note: `answers by status: ${statuses.map(([status, n]) => `${status} × ${n}`).join(', ')}`,
    },
    { metric: `${label}: answered 202`, value: delta('pending'), unit: 'commands' },
    {
      metric: `${label}: errors`,
      value: errors + result.failed,
      unit: 'requests',
      note: `4xx/5xx ${errors}, no answer (connection error or timeout) ${result.failed}, 503 ${delta('unavailable')}`,
    },
    {
      metric: `${label}: mean inside the API, to ack / to outcome`,
      value: mean('append'),
      unit: 'ms',
      note: `to the outcome: ${mean('wait').toFixed(1)} ms (from submit; HTTP and auth not included); ${(delta('batch_sum') / Math.max(1, delta('batch_count'))).toFixed(1)} commands per produce request`,
    },
    {
      metric: `${label}: mean command age at the processor, deciding / committed`,
      value: mean('deciding'),
      unit: 'ms',
      note: `committed: ${mean('committed').toFixed(1)} ms; result read by the API ${mean('delivery').toFixed(1)} ms after its production (record timestamps)`,
    },
    {
      metric: `${label}: API event-loop delay, mean`,
      value: +(after.get('loop_mean') ?? 0).toFixed(1),
      unit: 'ms',
      note: `p99 ${(after.get('loop_p99') ?? 0).toFixed(1)} ms, max ${(after.get('loop_max') ?? 0).toFixed(1)} ms (perf_hooks, through prom-client)`,
    },
    { metric: `${label}: machine CPU busy`, value: cpu.machine, unit: 'cores', note: cpu.note },
    {
      metric: `${label}: API CPU per request`,
      value: perRequest('api'),
      unit: 'µs',
      note: `processor ${perRequest('command-processor')} µs, projector ${perRequest('projector')} µs, kafka ${perRequest('kafka')} µs (/proc utime+stime)`,
    },
  ];
}

function fire(stack: Stack, load: Load): Promise<LoadResult> {
  const request = {
    url: `${stack.url}/api/v1/tasks`,
    method: 'POST',
    headers: {
      authorization: `Bearer ${stack.token}`,
      'content-type': 'application/json',
      ...(load.async ? { prefer: 'respond-async' } : {}),
    },
    body: JSON.stringify({
      taskTitle: 'Bench task',
      taskDescription: 'created by bench/http-commands',
      warningOffset: 30,
    }),
  };
  return load.rate
    ? openLoop(request, { rate: load.rate, seconds: load.seconds, maxConnections: load.connections })
    : closedLoop(request, { connections: load.connections, seconds: load.seconds });
}

/**
 * Waits until the previous step's commands are all answered (the API's count
 * holds still for half a second, at most 20 s), so that a step's latencies
 * are not the tail of the step before it.
 */
async function settle(stack: Stack): Promise<void> {
  const answered = async () =>
    [...(await commandCounts(stack)).entries()]
      .filter(([outcome]) => !outcome.includes('_'))
      .reduce((sum, [, n]) => sum + n, 0);
  const deadline = Date.now() + 20_000;
  let last = await answered();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await answered();
    if (now === last) return;
    last = now;
  }
}

/** api_commands_total summed per outcome, and the stage timings, from the API's and the processor's /metrics. */
async function commandCounts(stack: Stack): Promise<Map<string, number>> {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  const processor = await (await fetch(`${stack.processorUrl}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^api_commands_total\{[^}]*outcome="([a-z]+)"[^}]*\} (\d+)/gm)) {
    counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + Number(match[2]));
  }
  // Where a synchronous answer's time goes: the broker's acknowledgment, then the processor and results topic.
  const sample = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  counts.set('append_sum', sample(/^api_command_append_duration_seconds_sum (\S+)/m));
  counts.set('append_count', sample(/^api_command_append_duration_seconds_count (\S+)/m));
  counts.set('batch_sum', sample(/^api_command_producer_batch_size_sum (\S+)/m));
  counts.set('batch_count', sample(/^api_command_producer_batch_size_count (\S+)/m));
  counts.set('wait_sum', sample(/^api_command_wait_duration_seconds_sum\{[^}]*outcome="accepted"[^}]*\} (\S+)/m));
  counts.set('wait_count', sample(/^api_command_wait_duration_seconds_count\{[^}]*outcome="accepted"[^}]*\} (\S+)/m));
  counts.set('delivery_sum', sample(/^api_command_result_delay_seconds_sum (\S+)/m));
  counts.set('delivery_count', sample(/^api_command_result_delay_seconds_count (\S+)/m));
  // Reset by every scrape (prom-client): the step's own event-loop delay, read at its end.
  counts.set('loop_mean', sample(/^nodejs_eventloop_lag_mean_seconds (\S+)/m) * 1000);
  counts.set('loop_p99', sample(/^nodejs_eventloop_lag_p99_seconds (\S+)/m) * 1000);
  counts.set('loop_max', sample(/^nodejs_eventloop_lag_max_seconds (\S+)/m) * 1000);
  const age = (stage: string, part: string) =>
    Number(
      new RegExp(`^tasklog_processor_command_age_seconds_${part}\\{stage="${stage}"\\} (\\S+)`, 'm').exec(
        processor,
      )?.[1] ?? 0,
    );
  for (const stage of ['deciding', 'committed']) {
    counts.set(`${stage}_sum`, age(stage, 'sum'));
    counts.set(`${stage}_count`, age(stage, 'count'));
  }
  return counts;
}
