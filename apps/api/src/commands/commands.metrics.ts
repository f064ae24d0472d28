// The commands module's metrics, on the process's shared registry (/metrics).
import { counter, histogram } from '@tasklog/platform/observability';

export const commandMetrics = {
  /** outcome: accepted, rejected, pending (202), unavailable (503), replayed (idempotent replay). */
  commands: counter({
    name: 'api_commands_total',
    help: 'Commands the API submitted, by command type and how the request was answered',
    labelNames: ['type', 'outcome'],
  }),
  wait: histogram({
    name: 'api_command_wait_duration_seconds',
    help: 'From submitting a command to its answer (acknowledgment plus outcome, or the fallback)',
    labelNames: ['type', 'outcome'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  append: histogram({
    name: 'api_command_append_duration_seconds',
    help: "From submitting a command to the broker's acknowledgment (gathering included)",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  }),
  resultDelay: histogram({
    name: 'api_command_result_delay_seconds',
    help: "From a result record's timestamp (its production, inside the processor's transaction) to its reading here",
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  }),
  batchSize: histogram({
    name: 'api_command_producer_batch_size',
    help: 'Commands sent to Kafka in one produce request',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
  }),
  lateAcks: counter({
    name: 'api_command_late_acks_total',
    help: 'Commands the broker acknowledged after the request had been answered 503 (not confirmed)',
  }),
  resultsSeen: counter({
    name: 'api_command_results_total',
    help: 'Command results read from the results topic, by whether a request of this instance was waiting',
    labelNames: ['waited'],
  }),
};
