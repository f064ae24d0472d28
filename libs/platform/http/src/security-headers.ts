// The security headers (helmet's) computed once at boot and then copied onto
// every reply by one synchronous hook. @fastify/helmet builds a helmet
// middleware and runs two async hooks on each request for headers that never
// change here (one policy for every route), which cost a command request
// measurably (ADR 0031).
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * The headers @fastify/helmet sets with `options`: read from a private
 * Fastify instance's reply with the plugin, less what a reply without it has.
 */
export async function securityHeaders(options: FastifyHelmetOptions): Promise<Readonly<Record<string, string>>> {
  const [withHelmet, without] = await Promise.all([probe(options), probe(null)]);
  return Object.freeze(Object.fromEntries(Object.entries(withHelmet).filter(([name]) => !(name in without))));
}

/** Sets the precomputed headers on every reply (before the handler, so errors carry them too). */
export function registerSecurityHeaders(instance: FastifyInstance, headers: Readonly<Record<string, string>>): void {
  instance.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

async function probe(options: FastifyHelmetOptions | null): Promise<Record<string, string>> {
  const app = Fastify({ logger: false });
  try {
    if (options) await app.register(helmet, options);
    app.get('/', (_request, reply) => reply.send('probe'));
    const response = await app.inject({ method: 'GET', url: '/' });
    return Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(', ') : String(value),
      ]),
    );
  } finally {
    await app.close();
  }
}
