import type { FastifyInstance } from 'fastify';
import { counter, histogram } from '@tasklog/platform/observability';

// Names and labels as the reference documents (Prometheus integration) give them.
const duration = histogram({
  name: 'http_request_duration_seconds',
  help: 'Duration of HTTP requests in seconds',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 1, 3, 5, 7, 10],
});

const total = counter({
  name: 'http_requests_total',
  help: 'Total number of HTTP requests',
  labelNames: ['method', 'route', 'status_code'],
});

/**
 * Records every response under its route template (`/api/v1/tasks/:id`),
 * never the raw URL, so label cardinality stays bounded; requests that match
 * no route share the `unmatched` label.
 */
export function registerHttpMetrics(instance: FastifyInstance): void {
  instance.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    duration.observe(labels, reply.elapsedTime / 1000);
    total.inc(labels);
    done();
  });
}
