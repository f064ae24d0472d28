import { env, readConfig, type EnvSource } from '@tasklog/platform/config';

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
  return { enabled: true, shutdown: () => sdk.shutdown() };
}

// Probes and scrapes every few seconds would drown the useful traces.
function isProbe(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/health') || url.startsWith('/metrics'));
}
