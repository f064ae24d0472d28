// Prometheus metrics of the command processor.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function processorMetrics(registry: Registry) {
  return {
    commands: new Counter({
      name: 'tasklog_commands_total',
      help: 'Commands handled, by type and outcome (accepted, rejected, replayed)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'tasklog_processor_batch_size',
      help: 'Commands per committed transaction',
      buckets: [1, 5, 10, 50, 100, 500, 1000, 5000],
      registers: [registry],
    }),
    transactionSeconds: new Histogram({
      name: 'tasklog_processor_transaction_duration_seconds',
      help: 'Time to append, answer and commit one batch',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    commandAgeSeconds: new Histogram({
      name: 'tasklog_processor_command_age_seconds',
      help: "A command's age (from its record's timestamp) when its transaction starts deciding and when it has committed",
      labelNames: ['stage'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    catchUpSeconds: new Histogram({
      name: 'tasklog_processor_catch_up_duration_seconds',
      help: 'Time to rebuild the state of newly owned partitions',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    ownedPartitions: new Gauge({
      name: 'tasklog_processor_owned_partitions',
      help: 'Partitions of the command topic this instance writes',
      registers: [registry],
    }),
    failures: new Counter({
      name: 'tasklog_processor_failures_total',
      help: 'Batches whose transaction failed (the partition is rebuilt)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

export type ProcessorMetrics = ReturnType<typeof processorMetrics>;
