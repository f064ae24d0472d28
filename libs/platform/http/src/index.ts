// The shared HTTP edge every HTTP app is built on (API, admin, webhooks), so
// security is the same everywhere: problem details, validation, request ids,
// authentication (JWT + API keys), scopes, ownership, rate limits, health,
// metrics, and the app factory that puts them together.
export {
  authSection,
  httpSection,
  rateLimitSection,
  type AuthConfig,
  type HttpConfig,
  type RateLimitConfig,
} from './http.config.js';
export { createHttpApp, type HttpAppOptions } from './http-app.factory.js';
export { HttpEdgeModule, type HttpEdgeOptions } from './http-edge.module.js';

export {
  PROBLEM_CATALOGUE,
  PROBLEM_TYPE_BASE,
  isProblemCode,
  problemType,
  type ProblemCode,
} from './problems/problem.catalogue.js';
export {
  ProblemException,
  problem,
  problems,
  type FieldProblem,
  type ProblemBody,
} from './problems/problem.exception.js';
export { ProblemDetailsFilter, PROBLEM_CONTENT_TYPE } from './problems/problem-details.filter.js';
export { createValidationPipe } from './problems/validation.pipe.js';

export { SCOPES, hasScopes, isAdmin, isScope, type Principal, type Scope } from './auth/principal.js';
export { CurrentPrincipal, Public, Scopes } from './auth/auth.decorators.js';
export { assertOwnerOrAdmin, ownerFilter } from './auth/ownership.js';
export { OwnedResource, OwnershipRegistry, type OwnerLookup } from './auth/ownership.guard.js';
export { JwtVerifier, TokenRejectedError, type TokenRejection } from './auth/jwt.verifier.js';
export { issueToken, parseTtl, type TokenRequest } from './auth/jwt.issuer.js';
export { loadSigningKey, loadVerificationKeys } from './auth/jwt.keys.js';
export { ApiKeyStore, type ApiKeyCacheOptions, type ApiKeyView, type CreatedApiKey } from './auth/api-key.store.js';
export { CredentialCache } from './auth/credential.cache.js';

export { RateLimiter, type RateLimitOutcome, type RateLimitRule } from './rate-limit/rate-limiter.js';
export { RateLimitPolicy, type Admission, type Refusal } from './rate-limit/rate-limit.policy.js';
export { postgresCheck, redisCheck, kafkaCheck, type ReadinessCheck } from './health/readiness.checks.js';
export { REQUEST_ID_HEADER } from './request/request-context.hook.js';
