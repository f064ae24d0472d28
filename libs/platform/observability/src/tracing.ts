import { env, readConfig, type EnvSource } from '@tasklog/platform/config';
import { setTracingActive } from './batch-span.js';

/** Read on its own, before the app is imported: tracing must start first. */
export function tracingSection(source: EnvSource) {
  return readConfig(
    {
      // OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces; unset = tracing off.
      otlpEndpoint: env.optional('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
    },
    source,
  );
}
export type TracingConfig = ReturnType<typeof tracingSection>;

export interface TracingOptions {
  readonly serviceName: string;
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces; tracing is off without one. */
  readonly otlpEndpoint: string | undefined;
}

export interface Tracing {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK. Call it before the app's modules are
 * imported (main.ts imports the app dynamically afterwards) so the HTTP
 * instrumentation patches node:http before Fastify loads it. Without an
 * endpoint nothing is started: no exporter retrying against a missing
 * collector, and the API's no-op tracer costs nothing. The SDK's modules
 * are imported only then: every app imports this library, and loading them
 * took ~0.3 s of each start (ADR 0060).
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  if (!options.otlpEndpoint) return { enabled: false, shutdown: async () => undefined };
  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
  ]);
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    traceExporter: new OTLPTraceExporter({ url: options.otlpEndpoint }),
    // Metrics are prom-client's (/metrics) and logs pino's: the SDK exports traces only.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => isProbe(req.url) })],
  });
  sdk.start();
  setTracingActive(true);
  return {
    enabled: true,
    shutdown: async () => {
      setTracingActive(false);
      await sdk.shutdown();
    },
  };
}

// Probes and scrapes every few seconds would drown the useful traces.
function isProbe(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/health') || url.startsWith('/metrics'));
}

/**
 * On SIGTERM or SIGINT: stops the app, then flushes the spans still buffered,
 * then exits 0. A failing stop or an unreachable collector does not hold the
 * exit. For the consumers' mains (ADR 0061).
 */
export function exitOnSignals(stop: () => Promise<void>, tracing: Tracing): void {
  const exit = () =>
    void stop()
      .then(() => tracing.shutdown())
      .catch(() => undefined)
      .then(() => process.exit(0));
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
}
