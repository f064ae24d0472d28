// Authentication of gRPC calls with the same credentials as REST: metadata
// `authorization: Bearer <jwt>` or `x-api-key: <key>`, verified by the edge's
// JwtVerifier and ApiKeyStore, then the scope check.
import type grpc from '@grpc/grpc-js';
import {
  ApiKeyStore,
  JwtVerifier,
  TokenRejectedError,
  hasScopes,
  problems,
  type Principal,
  type Scope,
} from '@tasklog/platform/http';

export class GrpcAuthenticator {
  constructor(
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
  ) {}

  async principal(metadata: grpc.Metadata, scope: Scope): Promise<Principal> {
    const principal = await this.authenticate(metadata);
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

function text(value: string | Buffer | undefined): string | undefined {
  return value === undefined ? undefined : value.toString();
}
