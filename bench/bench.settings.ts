// The benchmarks' own knobs (BENCH_*), read from the environment in this one
// place. The platform's settings (KAFKA_*, DATABASE_*, …) go through
// @tasklog/platform/config like everywhere else.
const words = (value: string | undefined): string[] => (value ?? '').split(' ').filter(Boolean);

export interface BenchSettings {
  /** BENCH_HTTP_STEPS: only these http-commands steps (fixed, max, half, async); all when unset. */
  readonly httpSteps: readonly string[] | null;
  /** BENCH_HTTP_RATES: the fixed rates of http-commands (default 500,1000,2000). */
  readonly httpRates: readonly number[];
  /** BENCH_RATE_LIMIT=off: the API's rate limiter off in http-commands. */
  readonly rateLimitOff: boolean;
  /** BENCH_CPU_PROF: the API runs under --cpu-prof, writing to this directory. */
  readonly cpuProfDir: string | undefined;
  /** BENCH_API_NODE_ARGS: extra node flags for the API. */
  readonly apiNodeArgs: readonly string[];
  /** BENCH_PROJECTOR_NODE_ARGS: extra node flags for the projector. */
  readonly projectorNodeArgs: readonly string[];
  /** BENCH_PROCESSOR_NODE_ARGS: extra node flags for the command-processor processes (e.g. --cpu-prof). */
  readonly processorNodeArgs: readonly string[];
  /** BENCH_PROJECTOR_PART: throughput, lag or projector-lag only; all when unset. */
  readonly projectorPart: string | undefined;
  /** BENCH_PROJECTOR_RATE: events/s of the lag parts (default 1000). */
  readonly projectorRate: number;
  /** BENCH_APP_LOG_DIR: the apps' logs go to files in this directory. */
  readonly appLogDir: string | undefined;
  /** BENCH_METRICS_DUMP: print the apps' metrics after the lag parts. */
  readonly metricsDump: boolean;
  /** BENCH_DEBUG: print the apps' output. */
  readonly debug: boolean;
  /** BENCH_QUERY_DUMP: write the query scenario's latencies to this file. */
  readonly queryDump: string | undefined;
  /** BENCH_PROCESSORS: command-processor throughput with this many processor processes (one group); 0: in the bench's process. */
  readonly processors: number;
  /** BENCH_PROCESSOR_PART: throughput (with the raw producer rate) or catch-up only; all when unset. */
  readonly processorPart: string | undefined;
  /** BENCH_PROCESSOR_PASSES: passes of the throughput part, reported as their median (default 3). */
  readonly processorPasses: number;
  /** BENCH_TX_RATES: the fixed rates (transactions/s in all) of kafka-transactions' broker-cost part (default 50,200,600). */
  readonly transactionRates: readonly number[];
}

/**
 * The environment the benches hand to the platform's config sections and to
 * the apps they spawn (the platform reads its own settings from it), with
 * `overrides` on top.
 */
export function platformEnv(overrides: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...process.env, ...overrides };
}

export function benchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  return {
    httpSteps: env['BENCH_HTTP_STEPS'] ? env['BENCH_HTTP_STEPS'].split(',') : null,
    httpRates: (env['BENCH_HTTP_RATES'] ?? '500,1000,2000').split(',').map(Number),
    rateLimitOff: env['BENCH_RATE_LIMIT'] === 'off',
    cpuProfDir: env['BENCH_CPU_PROF'] || undefined,
    apiNodeArgs: words(env['BENCH_API_NODE_ARGS']),
    projectorNodeArgs: words(env['BENCH_PROJECTOR_NODE_ARGS']),
    processorNodeArgs: words(env['BENCH_PROCESSOR_NODE_ARGS']),
    projectorPart: env['BENCH_PROJECTOR_PART'] || undefined,
    projectorRate: Number(env['BENCH_PROJECTOR_RATE'] ?? 1000),
    appLogDir: env['BENCH_APP_LOG_DIR'] || undefined,
    metricsDump: Boolean(env['BENCH_METRICS_DUMP']),
    debug: Boolean(env['BENCH_DEBUG']),
    queryDump: env['BENCH_QUERY_DUMP'] || undefined,
    processors: Number(env['BENCH_PROCESSORS'] ?? 0),
    processorPart: env['BENCH_PROCESSOR_PART'] || undefined,
    processorPasses: Math.max(1, Number(env['BENCH_PROCESSOR_PASSES'] ?? 3)),
    transactionRates: (env['BENCH_TX_RATES'] || '50,200,600').split(',').map(Number),
  };
}
