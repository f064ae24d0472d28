import { errors, jwtVerify, type JWTPayload, type JWSHeaderParameters } from 'jose';
import type { AuthConfig } from '../http.config.js';
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
 * key is picked by `kid`, and iss, aud, exp and nbf are checked.
 */
export class JwtVerifier {
  private constructor(
    private readonly keys: ReadonlyMap<string, VerificationKey>,
    private readonly config: Pick<AuthConfig, 'issuer' | 'audience' | 'clockToleranceSeconds'>,
  ) {}

  static async create(config: AuthConfig): Promise<JwtVerifier> {
    const keys = await loadVerificationKeys(config.publicKeyPaths);
    return new JwtVerifier(new Map(keys.map((k) => [k.kid, k])), config);
  }

  get kids(): string[] {
    return [...this.keys.keys()];
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyFor(header), {
        algorithms: [JWT_ALGORITHM],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      });
      return toPrincipal(payload);
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
  return {
    userId: payload.sub!,
    scopes: [...new Set<Scope>(scopes)],
    via: 'jwt',
    ...(typeof payload.jti === 'string' ? { credentialId: payload.jti } : {}),
  };
}

function reasonOf(error: unknown): TokenRejection {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return error.claim === 'nbf' ? 'not_yet_valid' : 'claims';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  return 'malformed';
}
