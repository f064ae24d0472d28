// Authentication of gRPC calls with the same credentials as REST: metadata
// `authorization: Bearer <jwt>` or `x-api-key: <key>`, verified by the edge's
// JwtVerifier and ApiKeyStore, then the scope check. The edge's rate limits
// apply as they do to REST (ADR 0039): the principal's requests and the
// peer address's authentication failures count against the same windows,
// and a refusal is RESOURCE_EXHAUSTED with a retry-after.
import type grpc from '@grpc/grpc-js';
import {
  ApiKeyStore,
  JwtVerifier,
  ProblemException,
  RateLimitPolicy,
  TokenRejectedError,
  hasScopes,
  problems,
  type Principal,
  type Refusal,
  type Scope,
} from '@tasklog/platform/http';

/** What the authenticator needs of a call: its metadata and its peer (`call.getPeer()`). */
export interface GrpcCallInfo {
  readonly metadata: grpc.Metadata;
  readonly peer: string;
}

export class GrpcAuthenticator {
  constructor(
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
    private readonly limits: RateLimitPolicy,
  ) {}

  async principal({ metadata, peer }: GrpcCallInfo, scope: Scope): Promise<Principal> {
    const address = peerAddress(peer);
    const blocked = this.limits.blocked(address);
    if (blocked) throw refused(blocked);
    let principal: Principal;
    try {
      principal = await this.authenticate(metadata);
    } catch (error) {
      if (isUnauthenticated(error)) {
        const admission = await this.limits.failure(address);
        if (!admission.allowed) throw refused(admission);
      }
      throw error;
    }
    const admission = await this.limits.decide(principal, address);
    if (!admission.allowed) throw refused(admission);
    if (!hasScopes(principal, [scope])) throw problems.forbidden(`This operation needs the scope ${scope}`);
    return principal;
  }

  private async authenticate(metadata: grpc.Metadata): Promise<Principal> {
    const authorization = text(metadata.get('authorization')[0]);
    const apiKey = text(metadata.get('x-api-key')[0]);
    if (authorization !== undefined) {
      const [scheme, token] = authorization.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) throw problems.unauthenticated('Use the Bearer scheme');
      try {
        return await this.jwt.verify(token);
      } catch (error) {
        if (error instanceof TokenRejectedError) throw problems.unauthenticated('The bearer token is not valid');
        throw error;
      }
    }
    if (apiKey) {
      const principal = await this.apiKeys.authenticate(apiKey);
      if (!principal) throw problems.unauthenticated('The API key is unknown or revoked');
      return principal;
    }
    throw problems.unauthenticated('Send a bearer token (authorization) or an API key (x-api-key) as metadata');
  }
}

/**
 * The client address of a grpc-js peer, spelled as Fastify's `request.ip`
 * spells it, so both transports count one address's failures together.
 * grpc-js 1.x reports `<address>:<port>` (`127.0.0.1:5000`, `::1:5000`: the
 * port is always there for TCP, so the last `:<digits>` is it); the
 * `ipv4:`/`ipv6:[…]` forms of other servers are read too.
 */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(bare);
  if (bracketed) return bracketed[1]!;
  const withPort = /^(.+):\d+$/.exec(bare);
  return withPort ? withPort[1]! : bare;
}

function refused(refusal: Refusal) {
  return problems.rateLimited(refusal.retryAfterSeconds, refusal.detail);
}

function isUnauthenticated(error: unknown): boolean {
  return error instanceof ProblemException && error.code === 'AUTH.UNAUTHENTICATED';
}

function text(value: string | Buffer | undefined): string | undefined {
  return value === undefined ? undefined : value.toString();
}
