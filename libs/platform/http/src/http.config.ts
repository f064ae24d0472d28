// The configuration sections of the HTTP edge, shared by every HTTP app (API,
// webhooks) and by the CLI's token and API-key commands, so they all read the
// same variables with the same defaults.
import { env, readConfig, type EnvSource } from '@tasklog/platform/config';

/** JWT verification and the development token issuer. Relative paths resolve against the working directory. */
export function authSection(source: EnvSource) {
  return readConfig(
    {
      publicKeyPaths: env.list('JWT_PUBLIC_KEY_PATH', ['.infra/keys/jwt-public.pem']),
      privateKeyPath: env.string('JWT_PRIVATE_KEY_PATH', '.infra/keys/jwt-private.pem'),
      issuer: env.string('JWT_ISSUER', 'tasklog'),
      audience: env.string('JWT_AUDIENCE', 'tasklog-api'),
      clockToleranceSeconds: env.int('JWT_CLOCK_TOLERANCE_SECONDS', 5, { min: 0, max: 300 }),
      /** Verified tokens remembered until their exp (LRU, per instance); 0 verifies every request (ADR 0030). */
      tokenCacheSize: env.int('JWT_CACHE_SIZE', 10_000, { min: 0, max: 1_000_000 }),
      /** How long a verified API key is served from memory: a revocation elsewhere takes effect within it. */
      apiKeyCacheTtlMs: env.int('API_KEY_CACHE_TTL_MS', 5000, { min: 0, max: 60_000 }),
      apiKeyCacheSize: env.int('API_KEY_CACHE_SIZE', 10_000, { min: 0, max: 1_000_000 }),
    },
    source,
  );
}
export type AuthConfig = ReturnType<typeof authSection>;

/** Fixed windows per principal (API) and per client address (authentication failures). */
export function rateLimitSection(source: EnvSource) {
  return readConfig(
    {
      enabled: env.bool('RATE_LIMIT_ENABLED', true),
      apiLimit: env.int('RATE_LIMIT_API_MAX', 100, { min: 1 }),
      apiWindowSeconds: env.int('RATE_LIMIT_API_WINDOW_SECONDS', 60, { min: 1 }),
      authFailureLimit: env.int('RATE_LIMIT_AUTH_FAILURES_MAX', 5, { min: 1 }),
      authFailureWindowSeconds: env.int('RATE_LIMIT_AUTH_FAILURES_WINDOW_SECONDS', 900, { min: 1 }),
    },
    source,
  );
}
export type RateLimitConfig = ReturnType<typeof rateLimitSection>;

/** The listener and the cross-cutting HTTP settings. */
export function httpSection(source: EnvSource) {
  return readConfig(
    {
      port: env.int('PORT', 3000, { min: 0, max: 65535 }),
      // Loopback by default: the platform runs on one machine, and nothing is
      // exposed unless asked (containers set HOST=0.0.0.0). See ADR 0007.
      host: env.string('HOST', '127.0.0.1'),
      bodyLimitBytes: env.int('HTTP_BODY_LIMIT_BYTES', 100 * 1024, { min: 1024 }),
      corsOrigins: env.list('CORS_ORIGINS', []),
      trustProxy: env.bool('TRUST_PROXY', false),
      docsEnabled: env.bool('API_DOCS_ENABLED', true),
      logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    },
    source,
  );
}
export type HttpConfig = ReturnType<typeof httpSection>;
