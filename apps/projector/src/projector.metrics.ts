// Prometheus metrics of the projector (one registry per running projector).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function projectorMetrics(registry: Registry) {
  return {
    eventsApplied: new Counter({
      name: 'tasklog_projector_events_applied_total',
      help: 'Events applied to the read models, by event type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'tasklog_projector_batch_size',
      help: 'Records per committed batch (one partition, one transaction)',
      buckets: [1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'tasklog_projector_batch_duration_seconds',
      help: 'Time to decode, apply and commit one batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    lagOffsets: new Gauge({
      name: 'tasklog_projection_lag_offsets',
      help: 'Offsets between the partition end and the projection position, at the last batch',
      labelNames: ['partition'] as const,
      registers: [registry],
    }),
    lagSeconds: new Gauge({
      name: 'tasklog_projection_lag_seconds',
      help: 'Age of the newest event of the last committed batch at its commit (append to visible)',
      labelNames: ['partition'] as const,
      registers: [registry],
    }),
    eventLagSeconds: new Histogram({
      name: 'tasklog_projection_event_lag_seconds',
      help: 'Per event: time from its append to Kafka to its read-model commit',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'tasklog_projector_dead_letters_total',
      help: 'Records dead-lettered: undecodable, or not applicable to their task',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    transactions: new Counter({
      name: 'tasklog_projector_transactions_total',
      help: 'Committed transactions by writer (ADR 0053) and by how they were written: prepared (folded ahead, ADR 0048), refolded (folded ahead on a base that had moved, so folded again under the lock), ordinary',
      labelNames: ['path', 'writer'] as const,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'tasklog_projector_retries_total',
      help: 'Batch transactions that failed and are retried (database or dead-letter topic unavailable)',
      registers: [registry],
    }),
    cacheFailures: new Counter({
      name: 'tasklog_projector_cache_invalidation_failures_total',
      help: 'Cache invalidations that failed (retried; entries expire by TTL regardless)',
      registers: [registry],
    }),
  };
}

export type ProjectorMetrics = ReturnType<typeof projectorMetrics>;
