import { errors, jwtVerify, type JWTPayload, type JWSHeaderParameters } from 'jose';
import type { AuthConfig } from '../http.config.js';
import { CredentialCache } from './credential.cache.js';
import { JWT_ALGORITHM, loadVerificationKeys, type VerificationKey } from './jwt.keys.js';
import { isScope, type Principal, type Scope } from './principal.js';

/** Why a token was refused: a metric label and a log field, never shown to the client. */
export type TokenRejection =
  'malformed' | 'algorithm' | 'unknown_kid' | 'signature' | 'expired' | 'not_yet_valid' | 'claims';

export class TokenRejectedError extends Error {
  constructor(
    readonly reason: TokenRejection,
    options?: { cause?: unknown },
  ) {
    super(`token rejected: ${reason}`, options);
    this.name = 'TokenRejectedError';
  }
}

/**
 * Verifies RS256 bearer tokens: the algorithm is pinned (so neither `none`
 * nor an HMAC token "signed" with the public key is ever considered), the
 * key is picked by `kid`, and iss, aud, exp and nbf are checked. A verified
 * token is remembered (keyed by the whole token, in a bounded LRU) until its
 * `exp`, so a client's next requests skip the signature check (ADR 0030);
 * rejections are never remembered.
 */
export class JwtVerifier {
  private readonly verified: CredentialCache<Principal>;

  private constructor(
    private readonly keys: ReadonlyMap<string, VerificationKey>,
    private readonly config: Pick<AuthConfig, 'issuer' | 'audience' | 'clockToleranceSeconds' | 'tokenCacheSize'>,
    now: () => number,
  ) {
    this.verified = new CredentialCache(config.tokenCacheSize, now);
  }

  static async create(config: AuthConfig, now: () => number = Date.now): Promise<JwtVerifier> {
    const keys = await loadVerificationKeys(config.publicKeyPaths);
    return new JwtVerifier(new Map(keys.map((k) => [k.kid, k])), config, now);
  }

  get kids(): string[] {
    return [...this.keys.keys()];
  }

  /** Tokens currently remembered as verified. */
  get cachedTokens(): number {
    return this.verified.size;
  }

  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known) return known;
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyFor(header), {
        algorithms: [JWT_ALGORITHM],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      });
      const principal = toPrincipal(payload);
      // Until exp exactly: the clock tolerance is for the issuer's clock, not a grace period.
      this.verified.set(token, principal, payload.exp! * 1000);
      return principal;
    } catch (error) {
      throw error instanceof TokenRejectedError ? error : new TokenRejectedError(reasonOf(error), { cause: error });
    }
  }

  // A token without kid is only accepted while a single key is configured:
  // during a rotation the verifier could not tell which key was meant.
  private keyFor(header: JWSHeaderParameters) {
    if (header.kid === undefined && this.keys.size === 1) return [...this.keys.values()][0]!.key;
    const found = header.kid === undefined ? undefined : this.keys.get(header.kid);
    if (!found) throw new TokenRejectedError('unknown_kid');
    return found.key;
  }
}

function toPrincipal(payload: JWTPayload): Principal {
  const raw = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : payload['scp'];
  const scopes = Array.isArray(raw) ? raw.filter(isScope) : [];
  // Frozen: one principal object serves every request with the same token.
  return Object.freeze({
    userId: payload.sub!,
    scopes: Object.freeze([...new Set<Scope>(scopes)]),
    via: 'jwt' as const,
    ...(typeof payload.jti === 'string' ? { credentialId: payload.jti } : {}),
  });
}

function reasonOf(error: unknown): TokenRejection {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return error.claim === 'nbf' ? 'not_yet_valid' : 'claims';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  return 'malformed';
}
