import { SignJWT } from 'jose';
import type { AuthConfig } from '../http.config.js';
import { JWT_ALGORITHM, loadSigningKey } from './jwt.keys.js';
import type { Scope } from './principal.js';

export interface TokenRequest {
  readonly sub: string;
  readonly scopes: readonly Scope[];
  readonly ttlSeconds: number;
  /** Overrides the key's thumbprint, e.g. to test an unknown kid. */
  readonly kid?: string;
}

/**
 * The development token issuer behind `tasklog auth token`. Production
 * tokens come from an identity provider that signs with the same kind of key;
 * this exists so a developer and the tests can get one without it.
 */
export async function issueToken(
  config: Pick<AuthConfig, 'privateKeyPath' | 'issuer' | 'audience'>,
  request: TokenRequest,
): Promise<string> {
  const signing = await loadSigningKey(config.privateKeyPath);
  return new SignJWT({ scope: request.scopes.join(' ') })
    .setProtectedHeader({ alg: JWT_ALGORITHM, kid: request.kid ?? signing.kid, typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + request.ttlSeconds)
    .sign(signing.key);
}

/** Parses durations like 900, 90s, 15m, 1h, 7d into seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}" (use e.g. 900, 15m, 1h, 7d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
